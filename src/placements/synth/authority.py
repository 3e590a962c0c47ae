"""One synthetic authority: its children, its register of homes, and who lives where.

Why a generator rather than a hand-made file: a synthetic authority must be big enough to show
the engine at a city's scale, plausible in every proportion a placement officer or a commissioner
would look at (``placements synth --check`` holds it to national figures), consistent in the ways
the case-folder reader checks, and provably free of real children's data. Everything is drawn
from the ``numpy.random.Generator`` it is given, so the same profile, seed and date give the same
bytes; only real ONS postcodes (and no names) are used.

The figures are national ones, scaled to the profile: DfE "Children looked after in England"
(31 March 2024) for ages, sex, asylum seekers and where children live; Ofsted "Fostering in
England" 2024 for approved places and vacancies; the Children's Commissioner (2023) for sibling
groups; CMA (2021) and NAO (2025) for weekly costs (``docs/synth.md`` lists every target).

The generator works in the order a real authority's data comes about:

1. children: age, sex, asylum status, sibling groups, family home, assessed needs;
2. who needs a home today (some whole sibling groups, a few emergencies), and the kind of
   placement each child is in (DfE placement mix: kinship and other foster care, children's
   homes, supported accommodation, with parents, placed for adoption, other);
3. the register of homes: in-house and IFA foster households, connected-person carers for named
   children, children's homes, supported accommodation;
4. where each placed child lives, near home where possible and, for most sibling groups, together;
   a home that takes a child is taken to meet that child's needs and age (its approval follows the
   child), so every placed child is lawfully placed where they are;
5. the rest of each home's places: children of other authorities, vacancies (16% of approved
   foster places), places not available;
6. dates of entry to care and reviews, permanence plans, assessments and distance limits,
   consistent with where children live. ``placements.synth.groundtruth`` records the conflicts
   these decisions plant.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from placements.codes import (
    SUPPORTED_MIN_AGE,
    USUAL_FOSTERING_LIMIT,
    Need,
    PlaceSex,
    Provider,
    Route,
    Setting,
    Sex,
    Status,
    Urgency,
)
from placements.io import case_folder
from placements.io.case_folder import columns_except
from placements.synth.geography import MILE_M, Geography, LaMix
from placements.synth.profiles import Profile
from placements.synth.timescales import reviews as review_history

# ---------------------------------------------------------------------------------------------
# National figures (DfE CLA 2024 unless said otherwise).

#: Age bands (lowest age, highest age, share of children looked after).
AGE_SHARES: tuple[tuple[int, int, float], ...] = (
    (0, 0, 0.04),
    (1, 4, 0.13),
    (5, 9, 0.18),
    (10, 15, 0.38),
    (16, 17, 0.27),
)
UASC_SHARE = 0.088
#: Unaccompanied asylum-seeking children: 89% aged 16+, 96% male.
UASC_AGES = (13, 14, 15, 16, 17)
UASC_AGE_P = (0.02, 0.03, 0.06, 0.39, 0.50)
MALE_UASC = 0.96
MALE_OTHERS = 0.53  # 53% male excluding UASC
#: About a third of children have a sibling in care; groups of 2-5, mean about 2.4.
SIBLING_SHARE = 1 / 3
SIBLING_SIZES = (2, 3, 4, 5)
SIBLING_SIZE_P = (0.70, 0.20, 0.07, 0.03)
#: 37% of children with siblings in care are separated from them at first placement.
SIBLINGS_TOGETHER = 0.63
#: Chance that a placed sibling group is tried as one (some fit nowhere together and are split).
#: Chance that a sibling group living in the same kind of placement is placed apart on purpose,
#: by size: separation rises with group size (26% with one sibling, 43% two, 57% three, 64% five,
#: Children's Commissioner 2023, counting also siblings in different kinds of placement).
SPLIT_BY_SIZE = {2: 0.08, 3: 0.18, 4: 0.3}
SPLIT_LARGER = 0.4
#: Children with siblings in care are less often the one placed in a children's home.
SIBLING_APART_WEIGHT = 0.6
#: Children who must live without other children (solo placements).
LIVES_ALONE_SHARE = 0.025
MAX_DISTANCE_SHARE = 0.05
MAX_DISTANCE_CHOICES = (10, 15, 20, 25)

#: Needs that make a foster home hard to find (risk to self or others).
HEAVY_NEEDS: tuple[Need, ...] = (
    Need.SELF_HARM,
    Need.EXPLOITATION,
    Need.MISSING,
    Need.HARM_TO_OTHERS,
    Need.SUBSTANCE_MISUSE,
    Need.YOUTH_JUSTICE,
)
NEEDS: tuple[Need, ...] = tuple(Need)
_K = {need: k for k, need in enumerate(NEEDS)}

#: Fostering households: approved places 1-4 (about 2.1 each, Ofsted 2024); four only with an
#: exemption from the usual limit.
FOSTER_APPROVED = (1, 2, 3, 4)
FOSTER_APPROVED_P = (0.26, 0.40, 0.28, 0.06)
FOSTER_AGE_RANGES: tuple[tuple[int, int, float], ...] = (
    (0, 4, 0.15),
    (0, 10, 0.16),
    (0, 17, 0.20),
    (2, 11, 0.08),
    (5, 17, 0.14),
    (8, 17, 0.09),
    (11, 17, 0.14),
    (14, 17, 0.04),
)
#: Share of foster households assessed as meeting each need: (in-house, IFA, lowest age_max).
#: Foster carers meet the heavy needs far less often than children's homes do.
FOSTER_MEETS: dict[Need, tuple[float, float, int]] = {
    Need.EMOTIONAL_BEHAVIOURAL: (0.60, 0.75, 0),
    Need.DISABILITY: (0.10, 0.10, 0),
    Need.COMPLEX_HEALTH: (0.08, 0.08, 0),
    Need.COMMUNICATION: (0.06, 0.06, 0),
    Need.SELF_HARM: (0.12, 0.18, 11),
    Need.MISSING: (0.10, 0.15, 11),
    Need.EXPLOITATION: (0.03, 0.06, 11),
    Need.HARM_TO_OTHERS: (0.05, 0.08, 8),
    Need.SUBSTANCE_MISUSE: (0.03, 0.05, 13),
    Need.YOUTH_JUSTICE: (0.05, 0.07, 11),
    Need.UASC: (0.12, 0.30, 14),
}
RESIDENTIAL_MEETS: dict[Need, float] = {
    Need.EMOTIONAL_BEHAVIOURAL: 1.0,
    Need.SELF_HARM: 0.85,
    Need.MISSING: 0.85,
    Need.HARM_TO_OTHERS: 0.80,
    Need.SUBSTANCE_MISUSE: 0.60,
    Need.YOUTH_JUSTICE: 0.60,
    Need.EXPLOITATION: 0.40,
    Need.UASC: 0.30,
    Need.COMMUNICATION: 0.15,
    Need.DISABILITY: 0.08,
    Need.COMPLEX_HEALTH: 0.08,
}
SUPPORTED_MEETS: dict[Need, float] = {
    Need.UASC: 0.80,
    Need.EMOTIONAL_BEHAVIOURAL: 0.50,
    Need.MISSING: 0.30,
    Need.SELF_HARM: 0.20,
    Need.SUBSTANCE_MISUSE: 0.20,
    Need.YOUTH_JUSTICE: 0.20,
    Need.EXPLOITATION: 0.10,
}

# Kinds of home (internal labels; the CSV carries setting and provider).
IN_HOUSE, IFA, PARENT_CHILD, KINSHIP = "in_house", "ifa", "parent_child", "kinship"
HOME, DISABILITY_HOME, SOLO_HOME, SUPPORTED = "home", "disability_home", "solo_home", "supported"
#: Fostering households other than connected-person carers: the ones with vacancies to count.
FOSTER_KINDS = (IN_HOUSE, IFA, PARENT_CHILD)

# Where a child lives (internal labels): a setting of the register, or one of the arrangements
# that have no place on it.
FOSTER, RESIDENTIAL = Setting.FOSTER.value, Setting.RESIDENTIAL.value
SECURE, PARENTS, ADOPTION = "secure", "parents", "adoption"
OTHER_RESIDENTIAL, OTHER = "other_residential", "other"
#: DfE CLA 2024, placement of children looked after on 31 March (shares of all children).
PLACEMENT_MIX: dict[str, float] = {
    KINSHIP: 0.163,
    FOSTER: 0.511,
    RESIDENTIAL: 0.102,
    SECURE: 0.001,
    SUPPORTED: 0.075,
    PARENTS: 0.063,
    ADOPTION: 0.023,
    OTHER_RESIDENTIAL: 0.015,
    OTHER: 0.045,
}
#: DfE CLA 2024: 44% of unaccompanied asylum-seeking children live in supported accommodation.
UASC_SUPPORTED = 0.44
UASC_FOSTER = 0.37


# ---------------------------------------------------------------------------------------------
# Children


@dataclass
class _Children:
    age: np.ndarray
    dob: list[dt.date]
    male: np.ndarray
    uasc: np.ndarray
    group: np.ndarray  # sibling group index, -1 for none
    home: np.ndarray  # postcode index, -1 for none
    needs: np.ndarray  # bool, children x NEEDS
    needing: np.ndarray = field(init=False)
    emergency: np.ndarray = field(init=False)
    lone: np.ndarray = field(init=False)
    where: np.ndarray = field(init=False)  # a PLACEMENT_MIX label; "" if needing
    cat: np.ndarray = field(init=False)  # a PLACEMENT_MIX label for every child (needing: the placement ending)
    place: np.ndarray = field(init=False)  # place index, -1 for none

    def __post_init__(self) -> None:
        n = len(self.age)
        self.needing = np.zeros(n, dtype=bool)
        self.emergency = np.zeros(n, dtype=bool)
        self.lone = np.zeros(n, dtype=bool)
        self.where = np.full(n, "", dtype=object)
        self.cat = np.full(n, "", dtype=object)
        self.place = np.full(n, -1, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.age)

    def has(self, need: Need) -> np.ndarray:
        return self.needs[:, _K[need]]

    def heavy(self) -> np.ndarray:
        return self.needs[:, [_K[n] for n in HEAVY_NEEDS]].sum(axis=1)

    def groups(self) -> list[np.ndarray]:
        """Members of each sibling group, by group index."""
        order = np.argsort(self.group, kind="stable")
        g = self.group[order]
        starts = np.searchsorted(g, np.arange(g.max() + 1)) if len(g) and g.max() >= 0 else np.zeros(0, int)
        ends = np.append(starts[1:], len(g))
        return [order[s:e] for s, e in zip(starts, ends, strict=True)]


def _largest_remainder(shares: np.ndarray, total: int) -> np.ndarray:
    raw = shares / shares.sum() * total
    counts = np.floor(raw).astype(np.int64)
    counts[np.argsort(-(raw - counts), kind="stable")[: total - counts.sum()]] += 1
    return counts


def _round(rng: np.random.Generator, x: float) -> int:
    """``x`` rounded up with chance its fraction: unbiased when many small authorities are added up."""
    return int(np.floor(x) + (rng.random() < x - np.floor(x)))


def _birth_dates(rng: np.random.Generator, ages: np.ndarray, as_of: dt.date) -> list[dt.date]:
    """A date of birth giving exactly ``age`` on ``as_of`` (babies at least a week old)."""

    def years_before(years: int) -> dt.date:
        try:
            return as_of.replace(year=as_of.year - years)
        except ValueError:  # 29 February
            return as_of.replace(year=as_of.year - years, day=28)

    u = rng.random(len(ages))
    out = []
    for age, x in zip(ages.tolist(), u.tolist(), strict=True):
        latest, before = years_before(age), years_before(age + 1)
        span = (latest - before).days
        out.append(before + dt.timedelta(days=1 + int(x * (span - 7))))
    return out


def _children(rng: np.random.Generator, prof: Profile, geo: Geography, as_of: dt.date) -> _Children:
    """Ages, sexes, asylum status, sibling groups, family homes and needs, as DfE proportions."""
    n = prof.n_children
    n_uasc = round(UASC_SHARE * n)
    uasc_age = rng.choice(UASC_AGES, p=UASC_AGE_P, size=n_uasc)
    lo = np.array([b[0] for b in AGE_SHARES])
    hi = np.array([b[1] for b in AGE_SHARES])
    target = _largest_remainder(np.array([b[2] for b in AGE_SHARES]), n)
    uasc_bands = np.searchsorted(lo, uasc_age, side="right") - 1
    rest = np.maximum(target - np.bincount(uasc_bands, minlength=len(lo)), 0)
    rest = _largest_remainder(rest.astype(float), n - n_uasc)
    band = rng.permutation(np.repeat(np.arange(len(lo)), rest))
    age = np.concatenate([uasc_age, rng.integers(lo[band], hi[band] + 1)])
    uasc = np.arange(n) < n_uasc
    # Exact shares: an authority of a few hundred children cannot afford sampling noise here.
    male = np.zeros(n, dtype=bool)
    male[rng.permutation(n_uasc)[: _round(rng, MALE_UASC * n_uasc)]] = True
    male[n_uasc + rng.permutation(n - n_uasc)[: _round(rng, MALE_OTHERS * (n - n_uasc))]] = True

    # Sibling groups: children of similar ages (sorted with noise), never asylum seekers.
    target_sib = round(SIBLING_SHARE * n)
    sizes = rng.choice(SIBLING_SIZES, p=SIBLING_SIZE_P, size=target_sib)
    sizes = sizes[np.cumsum(sizes) <= target_sib]
    members = rng.choice(np.flatnonzero(~uasc), size=int(sizes.sum()), replace=False)
    members = members[np.argsort(age[members] + rng.normal(0.0, 2.5, len(members)), kind="stable")]
    group = np.full(n, -1, dtype=np.int64)
    group[members] = np.repeat(np.arange(len(sizes)), sizes)

    # One family home per sibling group or single child; none known for asylum seekers.
    family = np.where(group >= 0, group, len(sizes) + np.arange(n))
    fam_ids, fam_of = np.unique(family, return_inverse=True)
    fam_home = geo.draw(rng, prof.home, len(fam_ids))
    home = np.where(uasc, -1, fam_home[fam_of])

    kids = _Children(age, _birth_dates(rng, age, as_of), male, uasc, group, home, np.zeros((n, len(NEEDS)), bool))
    _needs(rng, kids)
    return kids


def _needs(rng: np.random.Generator, kids: _Children) -> None:
    """Assessed needs with plausible prevalence by age (about 30% emotional or behavioural, 8%
    disabled, 6% of over-12s at risk of exploitation, ...), some of them going together."""
    n, a, u = len(kids), kids.age, kids.uasc

    def draw(need: Need, p: np.ndarray | float) -> None:
        kids.needs[:, _K[need]] = rng.random(n) < p

    draw(Need.DISABILITY, np.where(u, 0.0, np.where(a < 1, 0.04, 0.085)))
    draw(Need.COMPLEX_HEALTH, np.where(a < 1, 0.15, 0.055))
    draw(Need.COMMUNICATION, np.where(a < 2, 0.0, np.where(kids.has(Need.DISABILITY), 0.35, 0.015)))
    eb = np.select([a < 3, a < 5, a < 12], [0.03, 0.18, 0.38], 0.40)
    draw(Need.EMOTIONAL_BEHAVIOURAL, eb * np.where(u, 0.4, 1.0))
    draw(Need.EXPLOITATION, np.where(a >= 12, 0.065, 0.0))
    exploited = kids.has(Need.EXPLOITATION)
    draw(Need.MISSING, np.where(a >= 11, np.where(exploited, 0.5, 0.065), 0.0))
    draw(Need.SELF_HARM, np.select([a >= 11, a >= 8], [0.08, 0.02], 0.0))
    draw(Need.HARM_TO_OTHERS, np.where(a >= 8, 0.06, 0.0))
    draw(Need.SUBSTANCE_MISUSE, np.where(a >= 13, np.where(exploited, 0.2, 0.025), 0.0))
    draw(Need.YOUTH_JUSTICE, np.where(a >= 12, np.where(exploited, 0.12, 0.015), 0.0))
    draw(Need.PARENT_AND_CHILD, np.where(~kids.male & ~u & (a >= 16), 0.04, 0.0))
    kids.needs[:, _K[Need.UASC]] = u


def _units(kids: _Children, among: np.ndarray) -> list[np.ndarray]:
    """Children of ``among`` as units: each sibling group's members together, others alone."""
    out: list[np.ndarray] = []
    seen: set[int] = set()
    for i in np.flatnonzero(among):
        g = int(kids.group[i])
        if g < 0:
            out.append(np.array([i]))
        elif g not in seen:
            seen.add(g)
            out.append(np.flatnonzero((kids.group == g) & among))
    return out


def _status(rng: np.random.Generator, prof: Profile, kids: _Children) -> None:
    """Who needs a home today: a few whole sibling groups (mostly young) and single referrals,
    weighted towards babies and teenagers with needs, as referrals are; a few emergencies."""
    groups = kids.groups()
    small = [g for g in groups if len(g) <= 4]
    k = min(int(rng.integers(prof.n_needing_sibling_groups[0], prof.n_needing_sibling_groups[1] + 1)), len(small))
    w = np.array([1.0 / (1.0 + kids.age[g].mean() / 5.0) for g in small])
    for gi in rng.choice(len(small), size=k, replace=False, p=w / w.sum()):
        kids.needing[small[gi]] = True
    left = max(prof.n_needing - int(kids.needing.sum()), 0)
    band_weight = np.select([kids.age < 1, kids.age < 5, kids.age < 10, kids.age < 16], [4.0, 1.5, 0.8, 1.0], 0.6)
    w = band_weight * (1.0 + 0.7 * kids.heavy() + 2.0 * kids.has(Need.EXPLOITATION)) * ~kids.needing
    kids.needing[rng.choice(len(kids), size=left, replace=False, p=w / w.sum())] = True

    target = int(rng.integers(prof.n_emergency[0], prof.n_emergency[1] + 1))
    units = _units(kids, kids.needing)
    for ui in rng.permutation(len(units)):
        if kids.emergency.sum() + len(units[ui]) <= target:
            kids.emergency[units[ui]] = True

    # Children who must live without other children: mostly teenagers who harm others or
    # themselves; never one of a sibling group who need a home together.
    together = kids.needing & (kids.group >= 0)
    w = (kids.age >= 10) * ~together * (0.2 + 2.0 * kids.heavy() + 4.0 * kids.has(Need.HARM_TO_OTHERS))
    n_lone = round(LIVES_ALONE_SHARE * len(kids))
    kids.lone[rng.choice(len(kids), size=n_lone, replace=False, p=w / w.sum())] = True


def _families(kids: _Children) -> list[np.ndarray]:
    """Each sibling group, and each child without siblings, as an array of members."""
    groups = kids.groups()
    singles = [np.array([i]) for i in np.flatnonzero(kids.group < 0)]
    return groups + singles


def _take(rng: np.random.Generator, units: list[np.ndarray], weight: np.ndarray, count: int) -> list[np.ndarray]:
    """Units in a weighted random order (Efraimidis-Spirakis), taken while they fit in ``count`` children."""
    if count <= 0 or not units:
        return []
    keys = rng.random(len(units)) ** (1.0 / np.maximum(weight, 1e-9))
    keys[weight <= 0] = -1.0
    out, left = [], count
    for k in np.argsort(-keys, kind="stable"):
        if keys[k] < 0 or left <= 0:
            break
        if len(units[k]) <= left:
            out.append(units[k])
            left -= len(units[k])
    return out


def _where(rng: np.random.Generator, kids: _Children) -> None:
    """The kind of placement of every child, in the DfE placement mix (exact counts).

    Placed with parents, for adoption and with kinship carers are decided per family, so siblings
    share them; supported accommodation is for 16-17s only (44% of asylum-seeking children live
    there); children's homes take mostly teenagers with needs that put them or others at risk, and
    children who must live alone; "other" arrangements are for 16-17s. A child who needs a home
    today gets the kind of placement that is ending (``cat``) and a blank ``where``.
    """
    n, a = len(kids), kids.age
    labels = list(PLACEMENT_MIX)
    count = dict(zip(labels, _largest_remainder(np.array(list(PLACEMENT_MIX.values())), n).tolist(), strict=True))
    cat = np.full(n, "", dtype=object)
    fams = _families(kids)

    def free_fams(ok: np.ndarray) -> list[np.ndarray]:
        return [f for f in fams if (cat[f] == "").all() and ok[f].all()]

    def assign(label: str, units: list[np.ndarray]) -> None:
        for u in units:
            cat[u] = label

    plain = ~kids.uasc & ~kids.lone
    young = free_fams((a < 5) & plain & ~kids.needing)
    assign(ADOPTION, _take(rng, young, np.array([1.0 / (1.0 + a[f].mean()) for f in young]), count[ADOPTION]))
    home = free_fams((a < 16) & plain & ~kids.needing)
    assign(PARENTS, _take(rng, home, np.ones(len(home)), count[PARENTS]))

    # Supported accommodation: 44% of asylum seekers, then other 16-17s.
    uasc_sa = [np.array([i]) for i in np.flatnonzero(kids.uasc & (a >= SUPPORTED_MIN_AGE) & ~kids.lone)]
    n_uasc_sa = min(round(UASC_SUPPORTED * kids.uasc.sum()), count[SUPPORTED])
    assign(SUPPORTED, _take(rng, uasc_sa, np.ones(len(uasc_sa)), n_uasc_sa))
    rest = [np.array([i]) for i in np.flatnonzero((cat == "") & (a >= SUPPORTED_MIN_AGE) & ~kids.lone & ~kids.uasc)]
    assign(SUPPORTED, _take(rng, rest, np.where(a[[u[0] for u in rest]] >= 17, 1.5, 1.0), count[SUPPORTED] - n_uasc_sa))
    # Foster care for 37% of asylum seekers; most of the rest in "other" arrangements.
    uasc_fc = [np.array([i]) for i in np.flatnonzero(kids.uasc & (cat == "") & ~kids.lone)]
    young_uasc = np.array([a[u[0]] < SUPPORTED_MIN_AGE for u in uasc_fc], dtype=bool)  # under 16: foster first
    assign(FOSTER, _take(rng, uasc_fc, np.where(young_uasc, 1000.0, 1.0), _round(rng, UASC_FOSTER * kids.uasc.sum())))

    singles = lambda ok: [np.array([i]) for i in np.flatnonzero((cat == "") & ok)]  # noqa: E731
    heavy = np.minimum(kids.heavy(), 2)
    teen = singles(a >= 10)
    w = np.array([1.0 + 3.0 * heavy[u[0]] + 2.0 * kids.has(Need.YOUTH_JUSTICE)[u[0]] for u in teen])
    assign(SECURE, _take(rng, teen, w * (w > 2), count[SECURE]))
    # Children's homes: teenagers with risky needs, disabled children, and most children who must live alone.
    p_home = np.select([a >= 12, a >= 8], [0.11 + 0.17 * heavy, 0.03 + 0.06 * heavy], 0.004)
    p_home = p_home + np.where((a >= 5) & kids.has(Need.DISABILITY), 0.12, 0.0)
    p_home = np.where(kids.uasc, 0.3 * p_home, p_home) * np.where(kids.group >= 0, SIBLING_APART_WEIGHT, 1.0)
    p_home = p_home + np.where(kids.lone, 3.0, 0.0)
    cand = singles(np.ones(n, dtype=bool))
    assign(RESIDENTIAL, _take(rng, cand, np.array([p_home[u[0]] for u in cand]), count[RESIDENTIAL]))
    # Other residential settings: residential care homes, NHS settings, schools, youth custody.
    cand = singles((a >= 8) & ~kids.lone)
    w = np.array([0.05 + kids.has(Need.DISABILITY)[u[0]] + kids.has(Need.COMPLEX_HEALTH)[u[0]]
                  + kids.has(Need.YOUTH_JUSTICE)[u[0]] for u in cand])  # fmt: skip
    assign(OTHER_RESIDENTIAL, _take(rng, cand, w, count[OTHER_RESIDENTIAL]))
    cand = singles((a >= SUPPORTED_MIN_AGE) & ~kids.lone)
    assign(OTHER, _take(rng, cand, np.array([50.0 if kids.uasc[u[0]] else 1.0 for u in cand]), count[OTHER]))
    # Connected-person carers: families of up to three, never asylum seekers (no family here).
    kin = [f for f in free_fams(plain & ~kids.needing & (kids.home >= 0)) if len(f) <= 3]
    assign(KINSHIP, _take(rng, kin, np.ones(len(kin)), count[KINSHIP]))
    cat[cat == ""] = FOSTER
    kids.cat = cat
    where = cat.copy()
    where[kids.needing] = ""
    kids.where = where


# ---------------------------------------------------------------------------------------------
# Homes


@dataclass
class _Places:
    kind: np.ndarray
    setting: np.ndarray  # Setting
    provider: np.ndarray  # Provider
    pc: np.ndarray  # postcode index
    approved: np.ndarray
    age_min: np.ndarray
    age_max: np.ndarray
    sex: np.ndarray  # PlaceSex
    meets: np.ndarray  # bool, places x NEEDS
    long_term: np.ndarray
    exemption: np.ndarray
    cost: np.ndarray
    kinship_for: list[tuple[int, ...]]
    rating: np.ndarray  # Ofsted judgement of a real home (the register's), "" for the others
    urn: np.ndarray  # the real home's URN, "" for the others
    ours: np.ndarray = field(init=False)  # this authority's children living there
    others: np.ndarray = field(init=False)  # other authorities' children
    vacancies: np.ndarray = field(init=False)
    locked: np.ndarray = field(init=False)  # a child who must live alone lives there

    def __post_init__(self) -> None:
        m = len(self.kind)
        self.ours = np.zeros(m, dtype=np.int64)
        self.others = np.zeros(m, dtype=np.int64)
        self.vacancies = np.zeros(m, dtype=np.int64)
        self.locked = np.zeros(m, dtype=bool)

    def __len__(self) -> int:
        return len(self.kind)

    @staticmethod
    def concat(blocks: list[dict[str, np.ndarray | list]]) -> _Places:
        keys = [k for k in blocks[0] if k != "kinship_for"]
        data = {k: np.concatenate([b[k] for b in blocks]) for k in keys}
        return _Places(**data, kinship_for=[t for b in blocks for t in b["kinship_for"]])


def _rounded(x: np.ndarray, step: int) -> np.ndarray:
    return np.round(x / step) * step


def _meets(rng: np.random.Generator, n: int, table: dict[Need, float]) -> np.ndarray:
    meets = np.zeros((n, len(NEEDS)), dtype=bool)
    for need, p in table.items():
        meets[:, _K[need]] = rng.random(n) < p
    return meets


def _block(kind: str, setting: Setting, provider: np.ndarray | Provider, pc: np.ndarray, approved: np.ndarray,
           ages: np.ndarray, sex: np.ndarray, meets: np.ndarray, long_term: np.ndarray, exemption: np.ndarray,
           cost: np.ndarray) -> dict[str, np.ndarray | list]:  # fmt: skip
    n = len(pc)
    return {
        "kind": np.full(n, kind, dtype=object),
        "setting": np.full(n, setting, dtype=object),
        "provider": np.full(n, provider, dtype=object) if isinstance(provider, Provider) else provider,
        "pc": pc,
        "approved": approved.astype(np.int64),
        "age_min": ages[:, 0].astype(np.int64),
        "age_max": ages[:, 1].astype(np.int64),
        "sex": sex,
        "meets": meets,
        "long_term": long_term,
        "exemption": exemption,
        "cost": cost.astype(float),
        "kinship_for": [() for _ in range(n)],
        "rating": np.full(n, "", dtype=object),
        "urn": np.full(n, "", dtype=object),
    }


def _foster(rng: np.random.Generator, geo: Geography, n: int, mix: LaMix, kind: str) -> dict[str, np.ndarray | list]:
    """Fostering households: about 2.1 approved places, an age range, needs they can meet."""
    approved = rng.choice(FOSTER_APPROVED, p=FOSTER_APPROVED_P, size=n)
    exemption = (approved > USUAL_FOSTERING_LIMIT) | ((approved == USUAL_FOSTERING_LIMIT) & (rng.random(n) < 0.03))
    ranges = np.array([(lo, hi) for lo, hi, _ in FOSTER_AGE_RANGES])
    p = np.array([w for *_, w in FOSTER_AGE_RANGES])
    ages = ranges[rng.choice(len(ranges), p=p / p.sum(), size=n)]
    teen_only = ages[:, 0] >= 8
    one_sex = np.where(rng.random(n) < 0.5, PlaceSex.MALE, PlaceSex.FEMALE)
    sex = np.where(teen_only & (rng.random(n) < 0.2), one_sex, PlaceSex.ANY)
    col = 0 if kind == IN_HOUSE else 1
    meets = np.zeros((n, len(NEEDS)), dtype=bool)
    for need, (*ps, min_age) in FOSTER_MEETS.items():
        meets[:, _K[need]] = (rng.random(n) < ps[col]) & (ages[:, 1] >= min_age)
    dis = meets[:, _K[Need.DISABILITY]]
    meets[:, _K[Need.COMMUNICATION]] |= dis & (rng.random(n) < 0.5)
    long_term = rng.random(n) < np.where(ages[:, 1] >= 10, 0.31, 0.05)
    if kind == IN_HOUSE:
        cost = np.clip(_rounded(rng.normal(400, 25, n), 5), 350, 450)
        provider: Provider = Provider.IN_HOUSE
    else:
        cost = np.clip(_rounded(700 + rng.gamma(2.0, 60.0, n), 5), 700, 1000)
        provider = Provider.IFA
    pc = geo.draw(rng, mix, n)
    return _block(kind, Setting.FOSTER, provider, pc, approved, ages, sex, meets, long_term, exemption, cost)


def _parent_and_child(rng: np.random.Generator, geo: Geography, n: int, mix: LaMix) -> dict[str, np.ndarray | list]:
    """IFA carers for a young mother and her baby (about GBP 1,600 a week)."""
    meets = np.zeros((n, len(NEEDS)), dtype=bool)
    meets[:, [_K[Need.PARENT_AND_CHILD], _K[Need.EMOTIONAL_BEHAVIOURAL]]] = True
    meets[:, _K[Need.SELF_HARM]] = rng.random(n) < 0.3
    ages = np.tile([14, 17], (n, 1))
    cost = _rounded(rng.uniform(1400, 1800, n), 10)
    approved = rng.choice([1, 2], p=[0.7, 0.3], size=n)
    sex = np.full(n, PlaceSex.FEMALE, dtype=object)
    no = np.zeros(n, dtype=bool)
    pc = geo.draw(rng, mix, n)
    return _block(PARENT_CHILD, Setting.FOSTER, Provider.IFA, pc, approved, ages, sex, meets, no, no, cost)


def _homes(rng: np.random.Generator, geo: Geography, prof: Profile) -> dict[str, np.ndarray | list]:
    """Children's homes: mostly private (81%), about 3.8 places, most outside the city; a few
    for disabled children and a few single-child ("solo") homes. With ``prof.market`` (real homes of
    Ofsted's register, ``placements.synth.market``) the count, places, sector, judgement and local
    authority of each home are the register's: its one-place homes are the solo homes, a seeded few of
    the rest the disability homes, and its postcode any in its authority."""
    if prof.market is not None:
        return _real_homes(rng, geo, prof)
    n_dis, n_solo = prof.n_disability_homes, prof.n_solo_homes
    n_gen = prof.n_homes - n_dis - n_solo
    kind = np.array([HOME] * n_gen + [DISABILITY_HOME] * n_dis + [SOLO_HOME] * n_solo, dtype=object)
    n = len(kind)
    approved = np.select(
        [kind == SOLO_HOME, kind == DISABILITY_HOME],
        [np.ones(n, int), rng.integers(3, 6, n)],
        rng.choice([2, 3, 4, 5, 6], p=[0.08, 0.18, 0.35, 0.22, 0.17], size=n),
    )
    providers = [Provider.PRIVATE, Provider.VOLUNTARY, Provider.IN_HOUSE]
    return _home_block(
        rng,
        kind,
        approved,
        provider=lambda: np.array(rng.choice(providers, p=[0.81, 0.09, 0.10], size=n), dtype=object),
        where=lambda: geo.draw(rng, prof.homes, n),
    )


#: The register's sector -> provider (a council's own home is in-house for it, another authority's for others).
SECTOR_PROVIDER = {"Private": Provider.PRIVATE, "Voluntary": Provider.VOLUNTARY, "Health Authority": Provider.OTHER_LA}


def _real_homes(rng: np.random.Generator, geo: Geography, prof: Profile) -> dict[str, np.ndarray | list]:
    from placements.io.ofsted import directory_codes

    homes = prof.market or ()
    n = len(homes)
    approved = np.array([h.places for h in homes], dtype=np.int64)
    kind = np.where(approved == 1, SOLO_HOME, HOME).astype(object)
    others = np.flatnonzero(kind == HOME)
    kind[rng.permutation(others)[: min(prof.n_disability_homes, len(others))]] = DISABILITY_HOME
    provider = np.array(
        [Provider.IN_HOUSE if h.sector == "Local Authority" and h.la_code == prof.la_code
         else SECTOR_PROVIDER.get(h.sector, Provider.OTHER_LA) for h in homes], dtype=object,
    )  # fmt: skip

    def where() -> np.ndarray:
        pc = np.empty(n, dtype=np.int64)
        for i, h in enumerate(homes):
            pool = geo.group(tuple(directory_codes(h.la_code)))
            pc[i] = pool[rng.integers(0, len(pool))]
        return pc

    blk = _home_block(rng, kind, approved, provider=lambda: provider, where=where)
    blk["rating"] = np.array([h.rating for h in homes], dtype=object)
    blk["urn"] = np.array([h.urn for h in homes], dtype=object)
    return blk


def _home_block(rng: np.random.Generator, kind: np.ndarray, approved: np.ndarray, provider: Callable[[], np.ndarray],
                where: Callable[[], np.ndarray]) -> dict[str, np.ndarray | list]:  # fmt: skip
    """Ages, needs, sex and cost of children's homes of the given kinds; ``provider`` and ``where`` are
    called where the draws always were (after sex, and last), so the random stream is unchanged."""
    n = len(kind)
    n_dis, n_solo = int((kind == DISABILITY_HOME).sum()), int((kind == SOLO_HOME).sum())
    gen_ranges = np.array([(10, 17), (8, 17), (11, 17), (12, 17), (5, 17)])
    ages = gen_ranges[rng.choice(len(gen_ranges), p=[0.35, 0.2, 0.25, 0.15, 0.05], size=n)]
    dis_ranges = np.array([(5, 17), (8, 17), (0, 17)])
    ages[kind == DISABILITY_HOME] = dis_ranges[rng.choice(3, size=n_dis)]
    ages[kind == SOLO_HOME] = gen_ranges[rng.choice(4, size=n_solo)]
    meets = _meets(rng, n, RESIDENTIAL_MEETS)
    dis = kind == DISABILITY_HOME
    meets[dis] = False
    specialist = (Need.DISABILITY, Need.COMPLEX_HEALTH, Need.COMMUNICATION, Need.EMOTIONAL_BEHAVIOURAL)
    meets[np.ix_(dis, [_K[x] for x in specialist])] = True
    meets[dis, _K[Need.SELF_HARM]] = rng.random(n_dis) < 0.5
    solo = kind == SOLO_HOME
    meets[np.ix_(solo, [_K[x] for x in (Need.EMOTIONAL_BEHAVIOURAL, *HEAVY_NEEDS)])] = True
    sex = np.where(rng.random(n) < 0.85, PlaceSex.ANY, np.where(rng.random(n) < 0.65, PlaceSex.MALE, PlaceSex.FEMALE))
    sex[dis | solo] = PlaceSex.ANY
    provider_of = provider()
    cost = np.clip(_rounded(3800 + rng.gamma(2.0, 550.0, n), 10), 3800, 6500)
    cost[dis] = _rounded(rng.uniform(5000, 6500, n_dis), 10)
    cost[solo] = _rounded(rng.uniform(6000, 6500, n_solo), 10)
    no = np.zeros(n, dtype=bool)
    pc = where()
    blk = _block(HOME, Setting.RESIDENTIAL, provider_of, pc, approved, ages, sex, meets, no, no, cost)
    blk["kind"] = kind
    return blk


def _supported(rng: np.random.Generator, geo: Geography, prof: Profile) -> dict[str, np.ndarray | list]:
    """Registered supported accommodation: 16-17 only, 4-6 places, about GBP 620 a week."""
    n = prof.n_supported
    ages = np.tile([16, 17], (n, 1))
    approved = rng.integers(4, 7, n)
    sex = np.where(rng.random(n) < 0.7, PlaceSex.ANY, np.where(rng.random(n) < 0.85, PlaceSex.MALE, PlaceSex.FEMALE))
    provider = np.array(rng.choice([Provider.PRIVATE, Provider.VOLUNTARY], p=[0.7, 0.3], size=n), dtype=object)
    cost = np.clip(_rounded(500 + rng.gamma(1.5, 90.0, n), 5), 500, 1200)
    no = np.zeros(n, dtype=bool)
    pc, meets = geo.draw(rng, prof.supported, n), _meets(rng, n, SUPPORTED_MEETS)
    return _block(SUPPORTED, Setting.SUPPORTED, provider, pc, approved, ages, sex, meets, no, no, cost)


def _kinship(rng: np.random.Generator, prof: Profile, kids: _Children, geo: Geography) -> dict[str, np.ndarray | list]:
    """Connected-person carers approved for named children: some living there now, some who need
    a home today and can go there. A relative lives near the family home."""

    def pick(among: np.ndarray, k: int) -> list[np.ndarray]:
        units = [u for u in _units(kids, among) if len(u) <= 2 and kids.age[u].max() < 16 and kids.home[u[0]] >= 0]
        if not units or k == 0:
            return []
        chosen = rng.choice(len(units), size=min(k, len(units)), replace=False)
        return [units[i] for i in sorted(chosen)]

    placed = [f for f in _families(kids) if kids.where[f[0]] == KINSHIP]
    needing = pick(kids.needing & ~kids.lone, prof.n_kinship_needing)
    units = placed + needing
    n = len(units)
    # A relative near the family home, or (KINSHIP_AWAY of them) anywhere the authority's carers live.
    near = [geo.near(rng, int(kids.home[u[0]]), 8.0) for u in units]
    away = geo.draw(rng, prof.in_house, len(units))
    pc = np.where(rng.random(len(units)) < prof.kinship_away, away, np.array(near, dtype=np.int64)).astype(np.int64)
    ages = np.array([(max(0, kids.age[u].min() - 2), min(17, kids.age[u].max() + 3)) for u in units])
    meets = np.array([kids.needs[u].any(axis=0) for u in units]).reshape(n, len(NEEDS))
    approved = np.array([len(u) for u in units])
    cost = np.clip(_rounded(rng.normal(400, 25, n), 5), 350, 450)
    long_term = rng.random(n) < 0.7
    blk = _block(KINSHIP, Setting.FOSTER, Provider.IN_HOUSE, pc, approved, ages, np.full(n, PlaceSex.ANY, dtype=object),
                 meets, long_term, np.zeros(n, dtype=bool), cost)  # fmt: skip
    blk["kinship_for"] = [tuple(int(i) for i in u) for u in units]
    return blk


# ---------------------------------------------------------------------------------------------
# Who lives where


#: In-house carers are tried first. How far a placement team looks is the profile's
#: ``search_miles``: the weight of a home falls as exp(-miles / scale), per setting.
_IN_HOUSE_PREFERENCE = 2.0


def _assign(
    rng: np.random.Generator, prof: Profile, kids: _Children, places: _Places, geo: Geography
) -> dict[str, int]:
    """Put every placed child in a home of the kind drawn for them, hardest first.

    A home first has to fit as it stands; failing that, a home of the right kind with room whose
    approval is then taken to cover the child's needs (and, for foster carers, age), as happens
    when a carer is assessed for a particular child; failing that, another kind of home. Returns
    how often each fallback was needed, for whoever tunes a profile.
    """
    stats = {"fits": 0, "needs_added": 0, "age_widened": 0, "other_setting": 0, "no_home": 0}
    pe, pn = geo.easting[places.pc], geo.northing[places.pc]
    prof_scale = dict(zip((Setting.FOSTER, Setting.RESIDENTIAL, Setting.SUPPORTED), prof.search_miles, strict=True))
    open_ = places.kind != KINSHIP
    for i, kin in enumerate(places.kinship_for):
        placed = [c for c in kin if not kids.needing[c]]
        kids.place[placed] = i
        places.ours[i] = len(placed)

    def candidates(members: np.ndarray, setting: Setting, relax: int) -> np.ndarray:
        a = kids.age[members]
        mask = open_ & (places.setting == setting) & ~places.locked
        mask &= places.approved - places.ours >= len(members)
        if kids.lone[members].any():
            mask &= places.ours == 0
        males = kids.male[members]
        if males.all():
            mask &= places.sex != PlaceSex.FEMALE
        elif not males.any():
            mask &= places.sex != PlaceSex.MALE
        else:
            mask &= places.sex == PlaceSex.ANY
        if relax < 2 or setting is not Setting.FOSTER:
            mask &= (places.age_min <= a.min()) & (a.max() <= places.age_max)
        if relax < 1:
            need = kids.needs[members].any(axis=0)
            mask &= ~(need[None, :] & ~places.meets).any(axis=1)
        if setting is Setting.SUPPORTED:
            mask &= a.min() >= SUPPORTED_MIN_AGE
        return mask

    def choose(mask: np.ndarray, members: np.ndarray, setting: Setting) -> int:
        idx = np.flatnonzero(mask)
        home = int(kids.home[members[0]])
        w = np.ones(len(idx))
        if home >= 0:
            d = np.hypot(pe[idx] - geo.easting[home], pn[idx] - geo.northing[home]) / MILE_M
            w = np.exp(-d / (prof_scale[setting]))
        w = w * np.where(places.provider[idx] == Provider.IN_HOUSE, _IN_HOUSE_PREFERENCE, 1.0) + 1e-12
        if kids.lone[members].any():  # a single-place home, rather than a bigger one left half empty
            w = w * np.where(places.approved[idx] == 1, 50.0, 1.0 / places.approved[idx])
        return int(rng.choice(idx, p=w / w.sum()))

    def settle(members: np.ndarray, setting: Setting) -> bool:
        alternatives = {
            Setting.FOSTER: [Setting.FOSTER, Setting.RESIDENTIAL] if kids.age[members].min() >= 8 else [Setting.FOSTER],
            Setting.RESIDENTIAL: [Setting.RESIDENTIAL, Setting.FOSTER],
            Setting.SUPPORTED: [Setting.SUPPORTED, Setting.FOSTER],
        }[setting]
        for s_i, s in enumerate(alternatives):
            for relax in (0, 1, 2):
                mask = candidates(members, s, relax)
                if not mask.any():
                    continue
                j = choose(mask, members, s)
                places.meets[j] |= kids.needs[members].any(axis=0)
                places.age_min[j] = min(places.age_min[j], kids.age[members].min())
                places.age_max[j] = max(places.age_max[j], kids.age[members].max())
                places.ours[j] += len(members)
                places.locked[j] |= kids.lone[members].any()
                kids.place[members] = j
                kids.where[members] = s.value
                kids.cat[members] = s.value
                key = "other_setting" if s_i else ("fits", "needs_added", "age_widened")[relax]
                stats[key] += len(members)
                return True
        return False

    # Units: sibling groups living in the same kind of home are tried together unless split on
    # purpose (SPLIT_BY_SIZE); with those who live in different kinds of home and groups that fit
    # nowhere together, about 63% of children with a sibling in care live with one (SIBLINGS_TOGETHER).
    units: list[tuple[np.ndarray, Setting]] = []
    for setting in (Setting.SUPPORTED, Setting.RESIDENTIAL, Setting.FOSTER):
        among = (kids.where == setting.value) & (kids.place < 0)
        for u in _units(kids, among):
            if len(u) > 1 and rng.random() < SPLIT_BY_SIZE.get(len(u), SPLIT_LARGER):
                units.extend((np.array([c]), setting) for c in u)
            else:
                units.append((u, setting))
    heavy = kids.heavy()
    hardness = np.array(
        [4.0 * kids.lone[u].any() + (s is not Setting.FOSTER) + heavy[u].max() + 0.5 * len(u) for u, s in units]
    )
    hardness += rng.random(len(units))
    for k in np.argsort(-hardness, kind="stable"):
        u, s = units[k]
        if settle(u, s):
            continue
        for c in u:  # a group that fits nowhere together is split
            if not settle(np.array([c]), s):
                kids.where[c] = OTHER
                kids.cat[c] = OTHER
                stats["no_home"] += 1
    return stats


def _spread(
    rng: np.random.Generator, free: np.ndarray, among: np.ndarray, target: int, weight: np.ndarray
) -> np.ndarray:
    """Exactly ``target`` vacancies (or all free places, if fewer) over the homes ``among``, home
    by home in a random order favouring ``weight``: a home with room usually has all of it free,
    which lets sibling groups stay together."""
    idx = np.flatnonzero(among & (free > 0))
    keys = rng.random(len(idx)) ** (1.0 / weight[idx])  # weighted random order (Efraimidis-Spirakis)
    order = idx[np.argsort(-keys, kind="stable")]
    before = np.cumsum(free[order]) - free[order]
    vac = np.zeros(len(free), dtype=np.int64)
    vac[order] = np.clip(target - before, 0, free[order])
    return vac


def _occupancy(rng: np.random.Generator, prof: Profile, places: _Places, kids: _Children) -> None:
    """The rest of each home's approved places: vacancies, other authorities' children, or not
    available. Vacancies are fixed shares of approved places (foster: ``foster_vacant_share``;
    children's homes and supported accommodation: ``home_vacant_share``), so the room in the demo
    does not swing with the seed."""
    free = places.approved - places.ours
    usable = ~places.locked & (places.kind != KINSHIP)
    foster = np.isin(places.kind, FOSTER_KINDS)
    homes = places.setting != Setting.FOSTER
    # Homes that take children at risk of exploitation are the ones most in demand.
    weight = np.where(places.meets[:, _K[Need.EXPLOITATION]], prof.exploitation_vacancy_weight, 1.0)
    foster_target = round(prof.foster_vacant_share * places.approved[foster].sum())
    homes_target = round(prof.home_vacant_share * places.approved[homes].sum())
    vac = _spread(rng, free, foster & usable, foster_target, np.ones(len(free)))
    vac += _spread(rng, free, homes & usable, homes_target, weight)
    share = dict(prof.other_la_share)
    p_other = np.array([share.get(k, 0.0) for k in places.kind])
    places.vacancies = vac
    places.others = rng.binomial(free - vac, p_other) * usable * homes
    # Foster households: other authorities' children fill them up to the national filled share.
    others_target = max(round(prof.foster_filled_share * places.approved[foster].sum()) - places.ours[foster].sum(), 0)
    places.others += _spread(rng, free - vac, foster & usable, others_target, np.ones(len(free)))
    # Connected-person carers: room only for the named children who need a home today.
    for i, kin in enumerate(places.kinship_for):
        if kin:
            places.vacancies[i] = sum(1 for c in kin if kids.needing[c])
            places.others[i] = 0


# ---------------------------------------------------------------------------------------------
# Dates, reviews, plans

_FOSTER_PLANS: dict[str, tuple[tuple[Route, ...], tuple[float, ...]]] = {
    "under5": (
        (Route.ADOPTION, Route.RETURN_HOME, Route.LONG_TERM_FOSTER, Route.SGO, Route.KINSHIP),
        (0.35, 0.25, 0.2, 0.15, 0.05),
    ),
    "5to15": (
        (Route.LONG_TERM_FOSTER, Route.RETURN_HOME, Route.SGO, Route.KINSHIP, Route.CAO),
        (0.6, 0.2, 0.1, 0.05, 0.05),
    ),
    "16plus": (
        (Route.STAYING_PUT, Route.INDEPENDENCE, Route.LONG_TERM_FOSTER, Route.RETURN_HOME),
        (0.45, 0.3, 0.2, 0.05),
    ),
}
_PLANS: dict[str, tuple[tuple[Route, ...], tuple[float, ...]]] = {
    KINSHIP: ((Route.SGO, Route.KINSHIP, Route.CAO, Route.LONG_TERM_FOSTER), (0.5, 0.3, 0.1, 0.1)),
    "residential_under12": ((Route.LONG_TERM_FOSTER, Route.RESIDENTIAL, Route.RETURN_HOME), (0.7, 0.2, 0.1)),
    "residential": ((Route.RESIDENTIAL, Route.LONG_TERM_FOSTER, Route.RETURN_HOME), (0.6, 0.3, 0.1)),
    "residential_16plus": ((Route.RESIDENTIAL, Route.INDEPENDENCE, Route.LONG_TERM_FOSTER), (0.4, 0.5, 0.1)),
    SUPPORTED: ((Route.INDEPENDENCE, Route.RETURN_HOME), (0.93, 0.07)),
    PARENTS: ((Route.RETURN_HOME,), (1.0,)),
    ADOPTION: ((Route.ADOPTION,), (1.0,)),
    "other_16plus": ((Route.INDEPENDENCE, Route.RETURN_HOME), (0.8, 0.2)),
    "other": ((Route.LONG_TERM_FOSTER, Route.RESIDENTIAL, Route.RETURN_HOME), (0.5, 0.3, 0.2)),
}
#: The second route of a dual plan (Ofsted found long-term residential with long-term fostering).
_DUAL: dict[Route, Route] = {
    Route.LONG_TERM_FOSTER: Route.RESIDENTIAL,
    Route.RESIDENTIAL: Route.LONG_TERM_FOSTER,
    Route.ADOPTION: Route.LONG_TERM_FOSTER,
    Route.RETURN_HOME: Route.LONG_TERM_FOSTER,
    Route.SGO: Route.LONG_TERM_FOSTER,
    Route.STAYING_PUT: Route.INDEPENDENCE,
}
#: Chance that a plan whose route has a partner above is dual (about 5% of plans in all).
DUAL_PROB = 0.07
#: Chance that siblings living in the same kind of placement have the same plan.
SIBLINGS_SAME_PLAN = 0.85
#: Children whose next statutory review is overdue on the as-of date. No national figure is
#: published; Ofsted reports most reviews held on time, so a small share (an assumption).
REVIEW_OVERDUE_SHARE = 0.06
#: Share of plans resting on a needs assessment more than 12 months old (an assumption; Ofsted
#: found "plans not based on current assessments" at Nottingham).
OLD_ASSESSMENT_SHARE = 0.10
#: Recorded reasons: siblings living apart, and a child under 12 in a children's home.
APART_REASON_SHARE = 0.55
RESIDENTIAL_RATIONALE_SHARE = 0.5
APART_REASON = "assessed at review: the siblings' needs are best met in separate homes"
RESIDENTIAL_RATIONALE = "recorded at review: no foster home able to meet assessed needs; family search open"
#: Mean years in care of the children looked after today (DfE: about a quarter started in the year).
MEAN_YEARS_IN_CARE = 4.5


def _plan_key(kids: _Children, i: int) -> str:
    a, where = int(kids.age[i]), str(kids.where[i])
    if where in (FOSTER, ""):
        return "under5" if a < 5 else ("5to15" if a < 16 else "16plus")
    if where == RESIDENTIAL:
        return "residential_under12" if a < 12 else ("residential" if a < 16 else "residential_16plus")
    if where in (OTHER, OTHER_RESIDENTIAL, SECURE):
        return "other_16plus" if a >= 16 else "other"
    return where


def one_year_before(as_of: dt.date) -> dt.date:
    """The same day a year earlier (28 February for 29 February)."""
    try:
        return as_of.replace(year=as_of.year - 1)
    except ValueError:
        return as_of.replace(year=as_of.year - 1, day=28)


@dataclass
class _Dates:
    entered: np.ndarray  # datetime64[D]
    reviews: list[np.ndarray]  # held on or before as_of, oldest first
    assessment: np.ndarray  # datetime64[D], NaT for none


def _dates(rng: np.random.Generator, kids: _Children, as_of: dt.date) -> _Dates:
    """Entry to care, statutory reviews and needs assessments, in a plausible order.

    About a quarter of the children looked after today came into care in the last year; asylum
    seekers arrived at 13 or older; most children who need a home today because they are new to
    care came in days ago. Reviews follow the statutory timescales (``timescales.reviews``), with
    ``REVIEW_OVERDUE_SHARE`` of children overdue; ``OLD_ASSESSMENT_SHARE`` of assessments are
    more than 12 months old.
    """
    n = len(kids)
    day = np.datetime64(as_of, "D")
    alive = np.array([(as_of - d).days for d in kids.dob])
    in_care = rng.exponential(MEAN_YEARS_IN_CARE * 365, n)
    arrived = np.minimum(rng.exponential(0.9 * 365, n), np.maximum(alive - 13.5 * 365, 30))  # aged 13+
    in_care = np.where(kids.uasc, arrived, in_care)
    in_care = np.where(kids.cat == ADOPTION, np.maximum(in_care, rng.uniform(200, 600, n)), in_care)
    new = kids.needing & ((rng.random(n) < 0.6) | kids.emergency)
    in_care = np.where(new, rng.integers(1, 12, n), in_care)
    in_care = np.clip(in_care, 1, np.maximum(alive, 1)).astype(np.int64)
    entered = day - in_care.astype("timedelta64[D]")

    overdue = rng.random(n) < REVIEW_OVERDUE_SHARE
    held = review_history(rng, entered, day, overdue)

    limit = (day - np.datetime64(one_year_before(as_of), "D")).astype(np.int64)  # days back to 12 months ago
    oldest = np.minimum(alive - 1, in_care + 60)
    old = (rng.random(n) < OLD_ASSESSMENT_SHARE) & (oldest > limit)
    ago = np.where(
        old,
        limit + 1 + (rng.random(n) * np.maximum(np.minimum(oldest, limit + 500) - limit, 1)).astype(np.int64),
        1 + (rng.random(n) * np.minimum(limit, np.maximum(oldest, 1))).astype(np.int64),
    )
    ago = np.clip(ago, 1, np.maximum(oldest, 1))
    assessment = np.where(rng.random(n) < 0.85, day - ago.astype("timedelta64[D]"), np.datetime64("NaT"))
    return _Dates(entered, held, assessment.astype("datetime64[D]"))


def _draw(routes: tuple[Route, ...], p: tuple[float, ...], u: float) -> Route:
    cp = np.cumsum(p)
    return routes[int(np.searchsorted(cp / cp[-1], u, side="right"))]


def _plans(
    rng: np.random.Generator, kids: _Children, places: _Places, dates: _Dates, as_of: dt.date
) -> tuple[list[tuple[Route, ...]], np.ndarray]:
    """Permanence plans consistent with where the child lives, mostly shared by siblings living in
    the same kind of placement; about 5% dual; none yet for most children new to care (a plan is
    due by the second review). Returns the plans and their dates (NaT for none)."""
    n = len(kids)
    day = np.datetime64(as_of, "D")
    in_care = (day - dates.entered).astype(np.int64)
    u, blank_u, dual_u, lt_u = rng.random(n), rng.random(n), rng.random(n), rng.random(n)
    first: list[Route | None] = []
    for i in range(n):
        p_blank = 0.5 if kids.needing[i] else (0.7 if in_care[i] < 120 else 0.04)
        if blank_u[i] < p_blank:
            first.append(None)
            continue
        key = _plan_key(kids, i)
        routes, p = _PLANS[key] if key in _PLANS else _FOSTER_PLANS[key]
        route = _draw(routes, p, u[i])
        j = int(kids.place[i])
        if key == "5to15" and j >= 0 and places.long_term[j] and lt_u[i] < 0.6:
            route = Route.LONG_TERM_FOSTER  # a long-term carer: mostly a long-term foster plan
        first.append(route)
    # Siblings in the same kind of placement mostly share the eldest's plan.
    for g in kids.groups():
        if rng.random() >= SIBLINGS_SAME_PLAN:
            continue
        planned = [i for i in g[np.argsort(-kids.age[g], kind="stable")] if first[i] is not None]
        if planned:
            lead = planned[0]
            for i in planned[1:]:
                if kids.where[i] == kids.where[lead]:
                    first[i] = first[lead]
    plans: list[tuple[Route, ...]] = []
    for i in range(n):
        lead_route = first[i]
        if lead_route is None:
            plans.append(())
            continue
        chosen = [lead_route]
        second = _DUAL.get(lead_route)
        if second is not None and dual_u[i] < DUAL_PROB and not (second is Route.RESIDENTIAL and kids.age[i] < 10):
            chosen.append(second)
        plans.append(tuple(chosen))
    days = (rng.uniform(0.05, 0.9, n) * np.maximum(in_care - 30, 1)).astype(np.int64)
    dated = np.array([bool(p) for p in plans]) & (in_care > 60) & (rng.random(n) < 0.85)
    plan_date = np.where(dated, day - np.maximum(days, 1).astype("timedelta64[D]"), np.datetime64("NaT"))
    return plans, plan_date.astype("datetime64[D]")


def _recorded(
    rng: np.random.Generator, kids: _Children, places: _Places, as_of: dt.date
) -> tuple[np.ndarray, np.ndarray]:
    """Reasons on file: why siblings live apart, and why a child under 12 lives in a children's home."""
    n = len(kids)
    known = (kids.place >= 0) & ~kids.needing
    apart = np.zeros(n, dtype=bool)
    for g in kids.groups():
        at = g[known[g]]
        if len(np.unique(kids.place[at])) > 1:
            apart[at] = True
    reason = np.where(apart & (rng.random(n) < APART_REASON_SHARE), APART_REASON, "").astype(object)
    home = known & (places.setting[np.maximum(kids.place, 0)] == Setting.RESIDENTIAL) & (kids.age < 12)
    rationale = np.where(home & (rng.random(n) < RESIDENTIAL_RATIONALE_SHARE), RESIDENTIAL_RATIONALE, "").astype(object)
    return reason, rationale


def _settings(rng: np.random.Generator, kids: _Children) -> list[str]:
    """Mostly blank (the defaults for the child's age); some social workers say "foster" for a young
    child, "residential;foster" for a teenager with complex needs, "supported;foster" at 16-17.
    A placed child's own list always includes where they live."""
    n = len(kids)
    u = rng.random(n)
    where = kids.where
    out = np.full(n, "", dtype=object)
    foster_only = (kids.age < 12) & (where != Setting.RESIDENTIAL.value) & (u < np.where(kids.needing, 0.35, 0.10))
    out[foster_only] = Setting.FOSTER.value
    complex_teen = (kids.age >= 12) & (kids.heavy() >= 1) & np.isin(where, ("", Setting.RESIDENTIAL.value))
    complex_teen &= u < 0.35
    out[complex_teen] = f"{Setting.RESIDENTIAL.value};{Setting.FOSTER.value}"
    sa = (kids.age >= SUPPORTED_MIN_AGE) & np.isin(where, ("", Setting.SUPPORTED.value))
    sa &= u < np.where(kids.uasc, 0.4, 0.2)
    out[sa & ~complex_teen] = f"{Setting.SUPPORTED.value};{Setting.FOSTER.value}"
    return out.tolist()


def _max_distance(rng: np.random.Generator, kids: _Children, places: _Places, geo: Geography) -> list[str]:
    """About 5% of children have a distance limit (10-25 miles). A placed child's limit is never
    broken by the home they live in, so it is given only to children who live within 25 miles."""
    n = len(kids)
    out = [""] * n
    limit = np.array(MAX_DISTANCE_CHOICES)
    pick = rng.choice(len(limit), size=n)
    known = kids.home >= 0
    d = np.zeros(n)
    at = known & (kids.place >= 0)
    d[at] = np.hypot(geo.easting[kids.home[at]] - geo.easting[places.pc[kids.place[at]]],
                     geo.northing[kids.home[at]] - geo.northing[places.pc[kids.place[at]]]) / MILE_M  # fmt: skip
    eligible = np.flatnonzero(known & (d + 0.1 <= limit.max()))
    chosen = rng.permutation(eligible)[: round(MAX_DISTANCE_SHARE * n)]
    for i in np.sort(chosen):
        fits = limit[limit >= d[i] + 0.1]
        out[i] = str(int(max(int(limit[pick[i]]), fits[0])))
    return out


# ---------------------------------------------------------------------------------------------
# Output


def _need_list(row: np.ndarray) -> str:
    return ";".join(NEEDS[k].value for k in np.flatnonzero(row))


def _yes_no(b: bool) -> str:
    return "yes" if b else "no"


def _iso(d: np.datetime64) -> str:
    return "" if np.isnat(d) else str(d)


@dataclass
class Authority:
    """One generated authority: the generator's decisions, kept for the history and ground truth."""

    profile: Profile
    geo: Geography
    as_of: dt.date
    kids: _Children
    places: _Places
    dates: _Dates
    plans: list[tuple[Route, ...]]
    plan_date: np.ndarray
    apart_reason: np.ndarray
    rationale: np.ndarray
    child_id: np.ndarray
    place_id: np.ndarray
    group_label: dict[int, str]
    stats: dict[str, int]
    child_rows: list[list[str]] = field(default_factory=list)
    place_rows: list[list[str]] = field(default_factory=list)


def build_authority(prof: Profile, geo: Geography, rng: np.random.Generator, as_of: dt.date, prefix: str = "",
                    with_la: bool = False) -> Authority:  # fmt: skip
    """Generate one authority: children, homes, who lives where, dates and plans, and its CSV rows.

    ``prefix`` goes before every id (children, homes, sibling groups) so that authorities can share
    one case folder; ``with_la`` adds the child's responsible authority (``local_authority``).
    """
    kids = _children(rng, prof, geo, as_of)
    _status(rng, prof, kids)
    _where(rng, kids)
    places = _Places.concat(
        [
            _foster(rng, geo, prof.n_in_house, prof.in_house, IN_HOUSE),
            _foster(rng, geo, prof.n_ifa - prof.n_parent_and_child, prof.ifa, IFA),
            _parent_and_child(rng, geo, prof.n_parent_and_child, prof.ifa),
            _kinship(rng, prof, kids, geo),
            _homes(rng, geo, prof),
            _supported(rng, geo, prof),
        ]
    )
    stats = _assign(rng, prof, kids, places, geo)
    _occupancy(rng, prof, places, kids)
    dates = _dates(rng, kids, as_of)
    plans, plan_date = _plans(rng, kids, places, dates, as_of)
    apart_reason, rationale = _recorded(rng, kids, places, as_of)
    settings = _settings(rng, kids)
    max_distance = _max_distance(rng, kids, places, geo)

    # Ids: children numbered in a shuffled order; homes by kind, foster households shuffled.
    n, m = len(kids), len(places)
    child_id = np.empty(n, dtype=object)
    child_id[rng.permutation(n)] = [f"{prefix}C{k + 1:04d}" for k in range(n)]
    place_id = np.empty(m, dtype=object)
    for setting, letter, width in (
        (Setting.FOSTER, "F", 3),
        (Setting.RESIDENTIAL, "R", 2),
        (Setting.SUPPORTED, "S", 2),
    ):
        idx = np.flatnonzero(places.setting == setting)
        width = max(width, len(str(len(idx))))
        place_id[rng.permutation(idx)] = [f"{prefix}{letter}{k + 1:0{width}d}" for k in range(len(idx))]
    groups = kids.groups()
    first = [min(child_id[g]) for g in groups]
    group_label = {int(gi): f"{prefix}SG{k + 1:03d}" for k, gi in enumerate(np.argsort(first, kind="stable"))}

    a = Authority(prof, geo, as_of, kids, places, dates, plans, plan_date, apart_reason, rationale, child_id,
                  place_id, group_label, stats)  # fmt: skip
    for i in range(n):
        needing = bool(kids.needing[i])
        held = dates.reviews[i]
        row = [
            child_id[i],
            kids.dob[i].isoformat(),
            (Sex.MALE if kids.male[i] else Sex.FEMALE).value,
            (Status.NEEDS_PLACEMENT if needing else Status.PLACED).value,
            place_id[kids.place[i]] if kids.place[i] >= 0 and not needing else "",
            (Urgency.EMERGENCY if kids.emergency[i] else Urgency.PLANNED).value if needing else "",
            group_label[int(kids.group[i])] if kids.group[i] >= 0 else "",
            _need_list(kids.needs[i]),
            settings[i],
            _yes_no(not kids.lone[i]),
            geo.postcode[kids.home[i]] if kids.home[i] >= 0 else "",
            max_distance[i],
            ";".join(r.value for r in plans[i]),
            _iso(plan_date[i]),
            str(held[-1]) if len(held) else "",
            _iso(dates.entered[i]),
            _iso(dates.assessment[i]),
            ";".join(str(d) for d in held),
            apart_reason[i],
            rationale[i],
        ]
        if with_la:
            row.append(prof.la_code)
        a.child_rows.append(row)
    for j in range(m):
        a.place_rows.append(
            [
                place_id[j],
                str(places.setting[j]),
                str(places.provider[j]),
                geo.postcode[places.pc[j]],
                geo.la[places.pc[j]],
                str(int(places.vacancies[j])),
                str(int(places.ours[j] + places.others[j])),
                str(int(places.approved[j])),
                str(int(places.age_min[j])),
                str(int(places.age_max[j])),
                str(places.sex[j]),
                _need_list(places.meets[j]),
                f"{places.cost[j]:.0f}",
                _yes_no(bool(places.long_term[j])),
                _yes_no(bool(places.exemption[j])),
                ";".join(sorted(child_id[c] for c in places.kinship_for[j])),
            ]
            + ([str(places.rating[j]), str(places.urn[j])] if prof.market is not None else [])
        )
    return a


#: The columns the generator writes, in the case folder's order (``local_authority`` is added for a
#: folder of several authorities; ``MARKET_COLUMNS`` for homes taken from Ofsted's register).
CHILD_COLUMNS = list(columns_except(case_folder.CHILD_COLUMNS, "school_postcode", "avoid_areas", "local_authority"))
PLACE_COLUMNS = list(
    columns_except(
        case_folder.PLACE_COLUMNS[: case_folder.PLACE_COLUMNS.index("kinship_for") + 1], "easting", "northing"
    )
)
MARKET_COLUMNS = ["ofsted_rating", "ofsted_urn"]
