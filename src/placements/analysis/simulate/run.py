"""One simulated run: an authority stepped month by month with the matching engine in the loop.

Each month, in this order:

1. prices inflate; carers leave (their children need a home the same day); carers join (today's
   kind, and the scenario's campaigns by profile); other authorities' children leave and take
   vacancies;
2. children leave care (the demand model's exit hazards, and everyone on their 18th birthday);
3. placements end (move hazards): a child moving to another registered home needs one, a child
   going home or to adoption leaves the register;
4. children come into care (Poisson by age; asylum seekers apart; brothers and sisters arrive
   together as sibling groups), with needs, sex and family home drawn from today's children of
   the same age band;
5. every child needing a home is matched with ``placements.match.match`` against the month's
   vacancies (the engine starts from its greedy proposal; children it cannot place wait and are
   tried again next month);
6. the month's figures are recorded (``METRICS``).

Everything random is a function of the seed and the run number (``streams``: keyed draws per
child and home, and ``numpy.random.default_rng([seed, run, stream, month])`` for counts), and
every loop runs in a fixed order, so a run's figures depend only on the context, the scenario,
the seed and the run number: not on the engine, the process or the number of workers. Keyed draws
also make run *k* of two scenarios differ by the scenario, not by chance.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from placements.analysis.simulate import streams as S
from placements.analysis.simulate.demand import BAND_OF_AGE, BANDS, MAX_AGE, SETTINGS, DemandModel
from placements.analysis.simulate.scenario import CARER_AGE_GROUPS, Scenario
from placements.analysis.simulate.streams import keyed_uniform, stream
from placements.analysis.simulate.supply import AGE_GROUP_STEP_PER_MONTH, supply_rates
from placements.calendar import add_months
from placements.codes import Need, Provider, Setting, Status, Urgency
from placements.domain import Child, Place
from placements.instance import Instance
from placements.match import match
from placements.policy import Policy

#: Where a child is, for the figures: the demand model's settings, and "unplaced".
WHERE: tuple[str, ...] = (*SETTINGS, "unplaced")
_BAND_KEYS = ("under_1", "1_4", "5_9", "10_15", "16_plus")

#: Columns of a run's table, one row per month, in this order.
METRICS: tuple[str, ...] = (
    "looked_after",
    *WHERE,
    *(f"age_{b}" for b in _BAND_KEYS),
    *(f"{w}_age_{b}" for w in WHERE for b in _BAND_KEYS),
    "under12_residential",
    "out_of_area",
    "siblings_apart",
    "weekly_cost",
    "entrants",
    "exits",
    "moves",
    "foster_households",
    "foster_vacancies",
    "households_joined",
    "households_left",
    "matched",
    "matches_not_proven",
)
METRIC_INDEX = {m: k for k, m in enumerate(METRICS)}
SIBLING_OFFSETS = np.arange(-5, 6)


@dataclass(frozen=True)
class Templates:
    """What entrants and new households are drawn from: today's children and homes."""

    band_children: tuple[tuple[int, ...], ...]  # per age band: indices of children (not asylum seekers)
    uasc_children: tuple[int, ...]
    family_sizes: np.ndarray  # 1..5
    family_p: np.ndarray
    foster_homes: tuple[int, ...]  # non-kinship fostering households, for joiners like today's
    in_area_homes: tuple[int, ...]
    out_area_homes: tuple[int, ...]


@dataclass(frozen=True)
class Context:
    """Everything a run needs; pickled once per worker (or put once in Ray's object store)."""

    instance: Instance
    policy: Policy
    demand: DemandModel
    scenarios: tuple[Scenario, ...]
    tpl: Templates
    seed_override: int | None = None

    @property
    def start(self) -> dt.date:
        return self.policy.as_of_date()


def templates(instance: Instance, policy: Policy) -> Templates:
    as_of = policy.as_of_date()
    kids = instance.children
    bands: list[list[int]] = [[] for _ in BANDS]
    uasc: list[int] = []
    for i, c in enumerate(kids):
        age = min(max(c.age_on(as_of), 0), MAX_AGE)
        (uasc if Need.UASC in c.needs else bands[BAND_OF_AGE[age]]).append(i)
    everyone = [i for b in bands for i in b] or list(range(len(kids)))
    bands = [b or everyone for b in bands]
    sizes = [len(g) for g in instance.sibling_groups.values()]
    in_groups = sum(sizes)
    counts = np.bincount([1] * max(len(kids) - in_groups - len(uasc), 0) + sizes, minlength=6)[1:6].astype(float)
    foster = [
        j for j, p in enumerate(instance.places)
        if p.setting is Setting.FOSTER and not p.kinship_for and p.provider in (Provider.IN_HOUSE, Provider.IFA)
    ]  # fmt: skip
    inside = tuple(j for j in foster if instance.places[j].la_code == policy.la_code)
    outside = tuple(j for j in foster if instance.places[j].la_code != policy.la_code)
    return Templates(
        tuple(tuple(b) for b in bands), tuple(uasc), np.arange(1, 6), counts / counts.sum(),
        tuple(foster), inside or outside, outside or inside,
    )  # fmt: skip


@dataclass
class Kid:
    child: Child  # as the child entered the simulation (date of birth, needs, family home)
    where: str  # one of WHERE
    place: int | None = None  # index into World.places when on the register
    urgency: Urgency = Urgency.PLANNED
    key: int = 0  # the child's key for keyed random draws


@dataclass
class Home:
    place: Place
    vacancies: int
    ours: int
    theirs: int
    cost: float
    carer_group: int = -1  # index into CARER_AGE_GROUPS; -1 when not a fostering household
    open: bool = True
    kinship_for: frozenset[str] = field(default_factory=frozenset)
    key: int = 0  # the home's key for keyed random draws

    @property
    def setting(self) -> Setting:
        return self.place.setting


class World:
    """The state of one run."""

    def __init__(self, ctx: Context, scenario: Scenario, seed: int, run: int, tpl: Templates):
        self.ctx, self.sc, self.tpl = ctx, scenario, tpl
        self.seed, self.run = seed, run
        self.policy = scenario.match_policy(ctx.policy)
        self.day = ctx.start
        inst = ctx.instance
        self.homes: list[Home] = []
        for p in inst.places:
            is_fostering = p.setting is Setting.FOSTER and not p.kinship_for
            key = len(self.homes)
            self.homes.append(
                Home(p, p.vacancies, 0, 0, p.weekly_cost, 0 if is_fostering else -1, True, p.kinship_for, key)
            )
        self.kids: list[Kid] = []
        for i, c in enumerate(inst.children):
            if c.status is Status.NEEDS_PLACEMENT:
                self.kids.append(Kid(c, "unplaced", None, c.urgency, i))
            elif c.current_place_id is None:
                self.kids.append(Kid(c, "other", key=i))
            else:
                j = inst.place_index[c.current_place_id]
                self.homes[j].ours += 1
                self.kids.append(Kid(c, self.homes[j].setting.value, j, key=i))
        for j, p in enumerate(inst.places):
            self.homes[j].theirs = p.children_in_placement - self.homes[j].ours
        fostering = [h for h in self.homes if h.carer_group >= 0]
        vacant = {s: sum(h.vacancies for h in self.homes if h.setting is s) for s in Setting}
        theirs = {s: sum(h.theirs for h in self.homes if h.setting is s) for s in Setting}
        self.rates = supply_rates(scenario.supply, vacant, theirs)
        u = keyed_uniform((seed, run, S.CARER_AGE), np.array([h.key for h in fostering], dtype=np.int64), 1)[:, 0]
        for h, g in zip(fostering, self._age_group(u), strict=True):
            h.carer_group = int(g)
        self.n_foster0 = len(fostering)
        self.d = ctx.demand
        self.exit_h = np.array(self.d.exit_hazard) * scenario.demand.exit_multiplier
        self.move_h = np.array(self.d.move_hazard) * scenario.demand.move_multiplier
        self.move_to = np.array(self.d.move_to)
        self.entry_setting = np.array(self.d.entry_setting)
        multipliers: dict[str, float] = {str(k): v for k, v in scenario.demand.age_band_multiplier.items()}
        mult = np.array([multipliers.get(b, 1.0) for b in BANDS])[BAND_OF_AGE]
        self.entries = np.array(self.d.entries) * scenario.demand.entry_multiplier * mult
        self.uasc_entries = np.array(self.d.uasc_entries) * scenario.demand.uasc_multiplier
        self.inflation = {
            Setting.FOSTER: (1 + scenario.prices.foster) ** (1 / 12),
            Setting.RESIDENTIAL: (1 + scenario.prices.residential) ** (1 / 12),
            Setting.SUPPORTED: (1 + scenario.prices.supported) ** (1 / 12),
        }
        self.price_index = {s: 1.0 for s in Setting}
        self.month = 0
        self.counter = 0  # new homes: ids and keys
        self.entrant_no = 0  # entrants this month: ids and keys
        self.events = dict.fromkeys(("entrants", "exits", "moves", "joined", "left", "matched", "not_proven"), 0)

    # -- helpers -------------------------------------------------------------------------------

    def _free(self, kid: Kid) -> None:
        if kid.place is not None:
            h = self.homes[kid.place]
            h.ours -= 1
            if h.open:
                h.vacancies += 1
        kid.place = None

    def _age(self, kid: Kid) -> int:
        return kid.child.age_on(self.day)

    def _age_group(self, u: np.ndarray) -> np.ndarray:
        """Carer age groups for uniforms ``u``, with the scenario's shares."""
        edges = np.cumsum(self.rates.age_shares)[:-1]
        return np.searchsorted(edges, u, side="right")

    def _parts(self, stream: int) -> tuple[int, ...]:
        return (self.seed, self.run, stream, self.month)

    # -- the month's steps ---------------------------------------------------------------------

    def _prices(self) -> None:
        for s in Setting:
            self.price_index[s] *= self.inflation[s]
        for h in self.homes:
            h.cost *= self.inflation[h.setting]

    def _carers(self) -> None:
        carers = [h for h in self.homes if h.open and h.carer_group >= 0]
        u = keyed_uniform(self._parts(S.CARER_LEAVES), np.array([h.key for h in carers], dtype=np.int64), 2)
        for h, (u_age, u_leave) in zip(carers, u, strict=True):
            if h.carer_group < len(CARER_AGE_GROUPS) - 1 and u_age < AGE_GROUP_STEP_PER_MONTH:
                h.carer_group += 1
            if u_leave < self.rates.leave_by_group[h.carer_group]:
                h.open = False
                h.vacancies = 0
                h.theirs = 0
                self.events["left"] += 1
        for kid in self.kids:
            if kid.place is not None and not self.homes[kid.place].open:
                self._free(kid)
                kid.where, kid.urgency = "unplaced", Urgency.EMERGENCY

    def _new_home(self, place: Place, u: float) -> None:
        group = int(self._age_group(np.array([u]))[0])
        self.homes.append(
            Home(place, place.vacancies, 0, 0, place.weekly_cost, group, True, key=10_000_000 + self.counter)
        )
        self.events["joined"] += 1

    def _recruit(self) -> None:
        tpl, sup = self.tpl, self.sc.supply
        rng = stream(self._parts(S.JOINERS))
        base = self.ctx.instance.places
        n_like_today = rng.poisson(sup.foster_joining_per_year * self.n_foster0 / 12.0)
        for _ in range(n_like_today):
            t = base[tpl.foster_homes[rng.integers(len(tpl.foster_homes))]]
            approved = max(t.vacancies + t.children_in_placement, 1)
            self.counter += 1
            place = t.model_copy(
                update={
                    "place_id": f"J{self.month:03d}-{self.counter}",
                    "vacancies": approved,
                    "children_in_placement": 0,
                    "weekly_cost": round(t.weekly_cost * self.price_index[Setting.FOSTER], 2),
                }
            )
            self._new_home(place, rng.random())
        for ci, camp in enumerate(sup.campaigns):
            if self.month < camp.start_month or (camp.end_month is not None and self.month > camp.end_month):
                continue
            prof = self.sc.profiles[camp.profile]
            rng = stream((*self._parts(S.CAMPAIGNS), ci))
            for _ in range(rng.poisson(camp.households_per_month)):
                pool = tpl.in_area_homes if rng.random() < prof.in_area_share else tpl.out_area_homes
                at = base[pool[rng.integers(len(pool))]]
                self.counter += 1
                place = Place(
                    place_id=f"R{self.month:03d}-{self.counter}", setting=Setting.FOSTER, provider=Provider(prof.provider),
                    postcode=at.postcode, easting=at.easting, northing=at.northing, la_code=at.la_code,
                    vacancies=prof.approved_places, children_in_placement=0, age_min=prof.age_min, age_max=prof.age_max,
                    sex=prof.sex, meets_needs=frozenset(prof.meets_needs),
                    weekly_cost=round(prof.weekly_cost * self.price_index[Setting.FOSTER], 2),
                    long_term=prof.long_term, sibling_exemption=prof.sibling_exemption,
                )  # fmt: skip
                self._new_home(place, rng.random())
        rng = stream(self._parts(S.PLACES))
        for setting, per_year in (
            (Setting.RESIDENTIAL, sup.new_residential_places_per_year),
            (Setting.SUPPORTED, sup.new_supported_places_per_year),
        ):
            if per_year <= 0:
                continue
            homes = [h for h in self.homes if h.open and h.setting is setting and not h.kinship_for]
            for _ in range(rng.poisson(per_year / 12.0)):
                if homes:
                    homes[rng.integers(len(homes))].vacancies += 1

    def _other_authorities(self) -> None:
        r = self.rates.turnover
        homes = [h for h in self.homes if h.open and not h.kinship_for]
        keys = np.array([h.key for h in homes], dtype=np.int64)
        width = max([1] + [max(h.theirs, h.vacancies) for h in homes])
        u_free = keyed_uniform(self._parts(S.OTHER_LAS), keys, width)
        u_take = keyed_uniform(self._parts(S.VACANCIES_TAKEN), keys, width)
        for h, uf, ut in zip(homes, u_free, u_take, strict=True):
            freed = int((uf[: h.theirs] < r).sum())
            taken = int((ut[: h.vacancies] < self.rates.take_by_setting[h.setting]).sum())
            h.theirs += taken - freed
            h.vacancies += freed - taken

    def _exits_and_moves(self) -> None:
        stay: list[Kid] = []
        u = keyed_uniform(self._parts(S.CARE), np.array([k.key for k in self.kids], dtype=np.int64), 4)
        for kid, (u_exit, u_move, u_to, u_urgent) in zip(self.kids, u, strict=True):
            age = self._age(kid)
            s = SETTINGS.index(kid.where) if kid.where in SETTINGS else SETTINGS.index("other")
            b = BAND_OF_AGE[min(max(age, 0), MAX_AGE)]
            if age > MAX_AGE or u_exit < self.exit_h[s, b]:
                self._free(kid)
                self.events["exits"] += 1
                continue
            stay.append(kid)
            if kid.where == "unplaced" or u_move >= self.move_h[s, b]:
                continue
            cdf = np.cumsum(self.move_to[s, b])
            to = SETTINGS[min(int(np.searchsorted(cdf / cdf[-1], u_to, side="right")), len(SETTINGS) - 1)]
            if to == "other" and kid.where == "other":
                continue
            self.events["moves"] += 1
            self._free(kid)
            if to == "other":
                kid.where = "other"
            else:
                urgent = u_urgent < self.sc.demand.emergency_share
                kid.where, kid.urgency = "unplaced", Urgency.EMERGENCY if urgent else Urgency.PLANNED
        self.kids = stay
        for h in self.homes:
            if h.kinship_for and h.open:
                named = h.kinship_for & {k.child.child_id for k in self.kids}
                if not named:
                    h.open, h.vacancies = False, 0
                h.kinship_for = frozenset(named) or h.kinship_for

    def _entrant(
        self,
        rng: np.random.Generator,
        template: Child,
        age: int,
        group: str | None,
        home: Child | None,
        where: str,
        urgency: Urgency,
    ) -> None:
        self.entrant_no += 1
        dob = self.day - dt.timedelta(days=int(age * 365.25 + rng.integers(0, 365)))
        src = home or template
        child = Child(
            child_id=f"N{self.month:03d}-{self.entrant_no}", date_of_birth=dob, sex=template.sex,
            status=Status.NEEDS_PLACEMENT if where == "unplaced" else Status.PLACED, urgency=urgency,
            sibling_group=group, needs=template.needs, settings=template.settings,
            lives_with_others=template.lives_with_others, home_postcode=src.home_postcode,
            home_easting=src.home_easting, home_northing=src.home_northing, home_la=src.home_la,
            entered_care_date=self.day,
        )  # fmt: skip
        self.kids.append(Kid(child, where, None, urgency, key=1_000_000 + 10_000 * self.month + self.entrant_no))
        self.events["entrants"] += 1

    def _entrants(self) -> None:
        tpl, kids0 = self.tpl, self.ctx.instance.children
        rng = stream(self._parts(S.ENTRANTS))
        self.entrant_no = 0
        emergency = self.sc.demand.emergency_share
        total = float(self.entries.sum())
        if total > 0:
            mean_size = float((tpl.family_sizes * tpl.family_p).sum())
            p_age = self.entries / total
            for _ in range(rng.poisson(total / mean_size)):
                size = int(rng.choice(tpl.family_sizes, p=tpl.family_p))
                lead = int(rng.choice(MAX_AGE + 1, p=p_age))
                ages = [lead] + [int(np.clip(lead + rng.choice(SIBLING_OFFSETS), 0, MAX_AGE)) for _ in range(size - 1)]
                band = BAND_OF_AGE[lead]
                to_other = rng.random() < self.entry_setting[band, SETTINGS.index("other")]
                where = "other" if to_other else "unplaced"
                urgency = Urgency.EMERGENCY if rng.random() < emergency else Urgency.PLANNED
                group = f"NG{self.month:03d}-{self.entrant_no + 1}" if size > 1 else None
                home = None
                for age in ages:
                    pool = tpl.band_children[BAND_OF_AGE[age]]
                    t = kids0[pool[rng.integers(len(pool))]]
                    home = home or t
                    self._entrant(rng, t, age, group, home, where, urgency)
        for age in range(MAX_AGE + 1):
            lam = self.uasc_entries[age]
            if lam <= 0 or not tpl.uasc_children:
                continue
            for _ in range(rng.poisson(lam)):
                t = kids0[tpl.uasc_children[rng.integers(len(tpl.uasc_children))]]
                urgency = Urgency.EMERGENCY if rng.random() < emergency else Urgency.PLANNED
                self._entrant(rng, t, age, None, None, "unplaced", urgency)

    def _instance(self) -> tuple[Instance, list[int]]:
        """Today's case folder: open homes with their vacancies, and every child in care."""
        open_homes = [j for j, h in enumerate(self.homes) if h.open]
        places = []
        for j in open_homes:
            h = self.homes[j]
            update: dict[str, Any] = {
                "vacancies": max(h.vacancies, 0),
                "children_in_placement": h.ours + h.theirs,
                "weekly_cost": round(h.cost, 2),
            }
            if h.kinship_for != h.place.kinship_for:
                update["kinship_for"] = h.kinship_for
            places.append(h.place.model_copy(update=update))
        children = []
        for kid in self.kids:
            placed = kid.where != "unplaced"
            pid = self.homes[kid.place].place.place_id if kid.place is not None else None
            children.append(
                kid.child.model_copy(
                    update={
                        "status": Status.PLACED if placed else Status.NEEDS_PLACEMENT,
                        "current_place_id": pid,
                        "urgency": kid.urgency,
                    }
                )
            )
        return Instance(children=tuple(children), places=tuple(places)), open_homes

    def _match(self) -> None:
        if not any(k.where == "unplaced" for k in self.kids):
            return
        inst, open_homes = self._instance()
        result = match(inst, self.policy.replace(as_of=self.day))
        if result.status != "OPTIMAL":
            self.events["not_proven"] += 1
        home_of = {inst.places[k].place_id: j for k, j in enumerate(open_homes)}
        by_id = {k.child.child_id: k for k in self.kids}
        for cid, pid in result.assignment.items():
            kid, j = by_id[cid], home_of[pid]
            h = self.homes[j]
            kid.place, kid.where, kid.urgency = j, h.setting.value, Urgency.PLANNED
            h.vacancies -= 1
            h.ours += 1
            self.events["matched"] += 1

    def _record(self) -> np.ndarray:
        row = np.zeros(len(METRICS))
        put = lambda name, v: row.__setitem__(METRIC_INDEX[name], v)  # noqa: E731
        la = self.policy.la_code
        groups: dict[str, list[object]] = {}
        cost = 0.0
        for k, kid in enumerate(self.kids):
            age = min(max(self._age(kid), 0), MAX_AGE)
            b = _BAND_KEYS[BAND_OF_AGE[age]]
            row[METRIC_INDEX[kid.where]] += 1
            row[METRIC_INDEX[f"age_{b}"]] += 1
            row[METRIC_INDEX[f"{kid.where}_age_{b}"]] += 1
            if kid.place is not None:
                h = self.homes[kid.place]
                cost += h.cost
                if age < 12 and h.setting is Setting.RESIDENTIAL:
                    row[METRIC_INDEX["under12_residential"]] += 1
                if la is not None and h.place.la_code != la:
                    row[METRIC_INDEX["out_of_area"]] += 1
            if kid.child.sibling_group is not None:
                # Siblings at home or placed for adoption count as together; a child waiting is apart.
                here = kid.place if kid.place is not None else (kid.where, k if kid.where == "unplaced" else 0)
                groups.setdefault(kid.child.sibling_group, []).append(here)
        put("looked_after", len(self.kids))
        put("siblings_apart", sum(len(locs) for locs in groups.values() if len(locs) > 1 and len(set(locs)) > 1))
        put("weekly_cost", round(cost, 2))
        fostering = [h for h in self.homes if h.open and h.carer_group >= 0]
        put("foster_households", len(fostering))
        put("foster_vacancies", sum(max(h.vacancies, 0) for h in fostering))
        for key, name in (
            ("entrants", "entrants"),
            ("exits", "exits"),
            ("moves", "moves"),
            ("joined", "households_joined"),
            ("left", "households_left"),
            ("matched", "matched"),
            ("not_proven", "matches_not_proven"),
        ):
            put(name, self.events[key])
        return row

    def step(self) -> np.ndarray:
        self.month += 1
        self.day = add_months(self.ctx.start, self.month)
        self.events = dict.fromkeys(self.events, 0)
        self._prices()
        self._carers()
        self._recruit()
        self._other_authorities()
        self._exits_and_moves()
        self._entrants()
        self._match()
        return self._record()


def make_context(
    instance: Instance, policy: Policy, demand: DemandModel, scenarios: list[Scenario], seed: int | None = None
) -> Context:
    return Context(instance, policy, demand, tuple(scenarios), templates(instance, policy), seed)


def simulate_run(ctx: Context, scenario_index: int, run: int) -> np.ndarray:
    """One run of one scenario: a (months x METRICS) array. Seeded by ``[seed, run]`` alone."""
    scenario = ctx.scenarios[scenario_index]
    seed = scenario.seed if ctx.seed_override is None else ctx.seed_override
    world = World(ctx, scenario, seed, run, ctx.tpl)
    return np.stack([world.step() for _ in range(scenario.horizon_months)])
