"""Five years of SSDA903 for a synthetic authority, consistent with its case folder.

Why: every English authority already holds its children's history in SSDA903, so the engine's
SSDA903 reader and ``placements cohort`` need a return to read whose answer is known. The tables
written (Header, Episodes, Reviews, UASC, PlacedAdoption, SWEpisodes) follow
``placements.io.ssda903.schema`` and the DfE codes (``ssda903-codes.md``), and agree with the case
folder on the as-of date:

- the children looked after on the as-of date (an episode with DECOM <= d and DEC blank or after
  d) are exactly the case folder's children; each one's period of care starts on its
  ``entered_care_date``, and its reviews are its ``review_dates``;
- the current episode of a child living in a home on the register has that home's setting,
  provider and postcode (PLACE, PLACE_PROVIDER, PL_POST);
- children who left care in the five years before are added, so that starts and ceases per year
  match the profile's (Nottingham: 215 and 264; elsewhere the national rate per child);
- about 10% of children had three or more placements in the year, and 27% three or more social
  workers (DfE CLA 2024).

Each authority's history is drawn from its own stream, ``default_rng([seed, k, 903])``, so
history and case folder never shift each other's draws.
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

from placements.codes import Need, Provider, Route, Setting
from placements.io.ssda903.schema import DATE_COLUMNS, TABLES
from placements.synth.authority import (
    ADOPTION,
    FOSTER,
    KINSHIP,
    OTHER_RESIDENTIAL,
    PARENTS,
    RESIDENTIAL,
    SECURE,
    SUPPORTED,
    Authority,
)
from placements.synth.timescales import reviews as review_history

YEARS = 5
YEAR = np.timedelta64(365, "D")
D = "datetime64[D]"
NAT = np.datetime64("NaT", "D")
#: Registered supported accommodation is K3 from 2024/25; before, semi-independent living was H5.
K3_FROM = np.datetime64("2024-04-01", "D")

#: DfE ethnicity codes by group, with national shares (DfE CLA 2024: White 71%, Mixed 11%,
#: Black 7%, Asian 5%, Other 5%, not known 1%) and the code's share within its group.
ETHNICITY: dict[str, tuple[float, tuple[tuple[str, float], ...]]] = {
    "White": (0.71, (("WBRI", 0.90), ("WIRI", 0.01), ("WOTH", 0.07), ("WIRT", 0.01), ("WROM", 0.01))),
    "Mixed": (0.11, (("MWBC", 0.35), ("MWBA", 0.10), ("MWAS", 0.15), ("MOTH", 0.40))),
    "Black": (0.07, (("BCRB", 0.25), ("BAFR", 0.55), ("BOTH", 0.20))),
    "Asian": (0.05, (("AIND", 0.15), ("APKN", 0.35), ("ABAN", 0.10), ("AOTH", 0.40))),
    "Other": (0.05, (("CHNE", 0.05), ("OOTH", 0.95))),
    "Not known": (0.01, (("NOBT", 0.5), ("REFU", 0.5))),
}
#: Asylum-seeking children are mostly of "other", Black and Asian backgrounds (an assumption).
UASC_ETHNICITY = {"White": 0.05, "Mixed": 0.02, "Black": 0.30, "Asian": 0.25, "Other": 0.37, "Not known": 0.01}
#: DfE CLA 2024 legal status: care order 75%, s20 19%, placement order 6%.
LEGAL = {"care_order": 0.75, "s20": 0.19, "placement_order": 0.06}
#: Category of need of non-asylum-seekers (DfE CLA: abuse or neglect about two thirds).
CIN = (("N1", 0.66), ("N2", 0.03), ("N3", 0.03), ("N4", 0.08), ("N5", 0.15), ("N6", 0.03), ("N8", 0.02))
REASON_PLACE_CHANGE = (
    ("CARPL", 0.42), ("CREQB", 0.16), ("CREQO", 0.10), ("LAREQ", 0.09), ("CHILD", 0.06), ("CLOSE", 0.05),
    ("STAND", 0.03), ("ALLEG", 0.02), ("APPRR", 0.02), ("OTHER", 0.05),
)  # fmt: skip
#: Reasons a period of care ended, with the age at leaving (low, high) (DfE CLA 2024, rounded).
CEASE = (
    ("E4A", 0.24, (0, 17)), ("E4B", 0.03, (5, 17)), ("E41", 0.03, (1, 15)), ("E45", 0.05, (1, 15)),
    ("E46", 0.02, (1, 15)), ("E47", 0.04, (1, 15)), ("E48", 0.01, (1, 15)), ("E11", 0.03, (1, 6)),
    ("E12", 0.06, (1, 6)), ("E13", 0.06, (0, 17)), ("E17", 0.10, (18, 18)), ("E5", 0.14, (17, 18)),
    ("E6", 0.05, (17, 18)), ("E8", 0.06, (0, 17)), ("E3", 0.02, (0, 17)), ("E14", 0.02, (13, 17)),
    ("E7", 0.01, (18, 18)), ("E9", 0.01, (14, 17)), ("E15", 0.01, (16, 17)), ("E16", 0.005, (0, 17)),
    ("E2", 0.005, (0, 17)),
)  # fmt: skip
OTHER_RESIDENTIAL_PLACES = (("R1", 0.4), ("R2", 0.2), ("S1", 0.25), ("R5", 0.15))
REVIEW_CODES = (("PN1", 0.5), ("PN2", 0.1), ("PN3", 0.1), ("PN4", 0.1), ("PN5", 0.1), ("PN6", 0.05), ("PN7", 0.05))
SW_REASONS = (
    ("LEFTRL", 0.35), ("MANAGE", 0.20), ("ORGRST", 0.10), ("TSPROC", 0.15), ("ABSENC", 0.05),
    ("CHCHAN", 0.05), ("PCCHAN", 0.03), ("FCONTA", 0.02), ("OTHERS", 0.05),
)  # fmt: skip
#: Placements: most children are settled (a placement lasts years); a few move often. Tuned so
#: that about 10% of children looked after had 3+ placements in the year (DfE CLA 2024).
UNSTABLE_SHARE = 0.08
STABLE_YEARS, UNSTABLE_YEARS = 2.6, 0.28
#: Social-worker changes per year (Poisson, gamma-mixed): 27% had 3+ social workers in the year.
SW_CHANGES_PER_YEAR = 1.2
CASELOAD = 15  # children per social worker, for the size of the pool of SW_IDs


@lru_cache(maxsize=64)
def _cumulative(table: tuple[tuple[str, float], ...]) -> tuple[np.ndarray, np.ndarray]:
    codes = np.array([c for c, _ in table], dtype=object)
    cp = np.cumsum([w for _, w in table], dtype=float)
    return codes, cp / cp[-1]


def _pick(rng: np.random.Generator, table: tuple[tuple[str, float], ...], n: int) -> np.ndarray:
    codes, cp = _cumulative(table)
    return codes[np.minimum(np.searchsorted(cp, rng.random(n), side="right"), len(codes) - 1)]


@dataclass
class _Stay:
    """One child's period of care as the return records it."""

    child: str
    dob: np.datetime64
    start: np.datetime64
    end: np.datetime64  # NaT while looked after
    rec: str  # reason ceased, "" while looked after
    legal: str  # legal status at the end (or now)
    cin: str
    home_post: str
    last: tuple[str, str, str, str]  # PLACE, PLACE_PROVIDER, PL_POST, URN of the last placement
    last_kind: str
    placement_start: np.datetime64 | None = None  # start of the last placement, when fixed
    episodes: list[list[object]] = field(default_factory=list)
    uasc: bool = False
    male: bool = False
    reviews: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=D))

    def placed_on(self) -> np.datetime64:
        """Start of the last placement (the last episode that began with one)."""
        return [e[1] for e in self.episodes if e[2] in ("S", "P", "B")][-1]  # type: ignore[return-value]


class _Writer:
    """Builds the rows of one authority's tables."""

    def __init__(self, a: Authority, rng: np.random.Generator) -> None:
        self.a, self.rng, self.geo, self.prof = a, rng, a.geo, a.profile
        self.episodes: list[list[object]] = []
        self.pools: dict[str, list[str]] = {}
        self.codes: dict[tuple[tuple[str, float], ...], list[str]] = {}

    # -- places ---------------------------------------------------------------------------
    def pick(self, table: tuple[tuple[str, float], ...]) -> str:
        """One code from ``table`` (drawn 256 at a time, for speed)."""
        pool = self.codes.get(table)
        if not pool:
            pool = [str(x) for x in _pick(self.rng, table, 256)]
            self.codes[table] = pool
        return pool.pop()

    def _postcode(self, mix_name: str) -> str:
        """A postcode drawn from one of the profile's mixes (drawn 256 at a time: one draw of
        many is far cheaper than many of one)."""
        pool = self.pools.get(mix_name)
        if not pool:
            mix = getattr(self.prof, mix_name)
            pool = [str(x) for x in self.geo.postcode[self.geo.draw(self.rng, mix, 256)]][::-1]
            self.pools[mix_name] = pool
        return pool.pop()

    def _urn(self) -> str:
        return f"SC{int(self.rng.integers(100000, 1000000))}"

    def placement(self, kind: str, day: np.datetime64, age: float, home: int) -> tuple[str, str, str, str]:
        """PLACE, PLACE_PROVIDER, PL_POST and URN of a placement not on the register."""
        u = self.rng.random()
        if kind in (FOSTER, KINSHIP):
            in_house = kind == KINSHIP or u < 0.47
            place = (
                ("U3" if self.rng.random() < 0.7 else "U1")
                if kind == KINSHIP
                else ("U6" if self.rng.random() < 0.75 else "U4")
            )
            pc = self._postcode("in_house" if in_house else "ifa")
            return place, "PR1" if in_house else "PR4", pc, ""
        if kind == RESIDENTIAL:
            return "K2", "PR4" if u < 0.81 else ("PR5" if u < 0.9 else "PR1"), self._postcode("homes"), self._urn()
        if kind == SUPPORTED:
            return (
                ("K3" if day >= K3_FROM else "H5"),
                "PR4" if u < 0.7 else "PR5",
                self._postcode("supported"),
                self._urn(),
            )
        if kind == SECURE:
            return "K1", "PR2", self._postcode("homes"), self._urn()
        if kind == PARENTS:
            pc = str(self.geo.postcode[self.geo.near(self.rng, home, 5.0)]) if home >= 0 else self._postcode("home")
            return "P1", "PR0", pc, ""
        if kind == ADOPTION:
            return ("A6" if u < 0.8 else "A5"), "PR1", self._postcode("ifa"), ""
        if kind == OTHER_RESIDENTIAL:
            code = self.pick(OTHER_RESIDENTIAL_PLACES)
            return str(code), "PR3" if code in ("R2", "R5") else "PR4", self._postcode("homes"), ""
        # Other arrangements: temporary moves, family centres and mother-and-baby units.
        return "T0", "PR4", self._postcode("supported"), ""

    def register_place(self, j: int, kind: str, long_term: bool) -> tuple[str, str, str, str]:
        """PLACE, PLACE_PROVIDER, PL_POST and URN of home ``j`` of the case folder's register."""
        a = self.a
        setting, provider = a.places.setting[j], a.places.provider[j]
        pc = str(self.geo.postcode[a.places.pc[j]])
        pr = {Provider.IN_HOUSE: "PR1", Provider.IFA: "PR4", Provider.PRIVATE: "PR4", Provider.VOLUNTARY: "PR5",
              Provider.OTHER_LA: "PR2"}[provider]  # fmt: skip
        urn = f"SC{100000 + zlib.crc32(str(a.place_id[j]).encode()) % 900000}"
        if setting == Setting.RESIDENTIAL:
            return "K2", pr, pc, urn
        if setting == Setting.SUPPORTED:
            return "K3", pr, pc, urn
        if kind == KINSHIP:
            return ("U1" if long_term else "U3"), pr, pc, ""
        return ("U4" if long_term else "U6"), pr, pc, ""

    # -- a period of care ---------------------------------------------------------------------
    def episodes_of(self, stay: _Stay, unstable: bool, home_idx: int, first_legal: str | None) -> None:
        """Episodes from ``stay.start`` to ``stay.end`` (or the as-of date): placements backwards
        from the end, then changes of legal status."""
        rng = self.rng
        end = stay.end if not np.isnat(stay.end) else np.datetime64(self.a.as_of, "D")
        mean = (UNSTABLE_YEARS if unstable else STABLE_YEARS) * 365
        starts: list[np.datetime64] = []
        t = (
            stay.placement_start
            if stay.placement_start is not None
            else end - np.timedelta64(int(rng.exponential(mean)) + 1, "D")
        )
        while t > stay.start:
            starts.append(t)
            t = t - np.timedelta64(int(rng.exponential(mean)) + 1, "D")
        starts.append(stay.start)
        starts = sorted(set(starts))
        kinds = []
        for s in starts[:-1]:
            age = (s - stay.dob).astype(int) / 365.25
            kinds.append(self.previous_kind(age))
        legal_change = None
        if first_legal is not None and first_legal != stay.legal:
            at = stay.start + np.timedelta64(int(rng.integers(60, 400)), "D")
            if at < end:
                legal_change = at
        bounds = sorted(set(starts) | ({legal_change} if legal_change is not None else set()))
        placement_starts = set(starts)
        current = None
        for k, b in enumerate(bounds):
            if b in placement_starts:
                idx = starts.index(b)
                if idx == len(starts) - 1:
                    current = stay.last
                else:
                    age = (b - stay.dob).astype(int) / 365.25
                    current = self.placement(kinds[idx], b, age, home_idx)
            legal = stay.legal if legal_change is None or b >= legal_change else first_legal
            if k == 0:
                rne = "S"
            elif b in placement_starts and b == legal_change:
                rne = "B"
            elif b in placement_starts:
                rne = "P"
            else:
                rne = "L"
            nxt = bounds[k + 1] if k + 1 < len(bounds) else None
            dec = nxt if nxt is not None else (stay.end if not np.isnat(stay.end) else NAT)
            rec = "X1" if nxt is not None else stay.rec
            change = ""
            if nxt is not None and nxt in placement_starts:
                change = self.pick(REASON_PLACE_CHANGE)
            place, provider, pl_post, urn = current  # type: ignore[misc]
            stay.episodes.append(
                [stay.child, b, rne, legal, stay.cin, place, provider, dec, rec, change, stay.home_post, pl_post, urn]
            )

    def previous_kind(self, age: float) -> str:
        u = self.rng.random()
        if age >= 16:
            return FOSTER if u < 0.6 else (RESIDENTIAL if u < 0.75 else SUPPORTED)
        if age >= 11:
            return FOSTER if u < 0.8 else RESIDENTIAL
        return FOSTER if u < 0.93 else PARENTS


def _legal_now(rng: np.random.Generator, a: Authority) -> np.ndarray:
    """Each child's legal status today: placement orders for children placed for adoption and
    young children with adoption plans, s20 for asylum seekers and some teenagers, care orders
    (interim in the first months) for the rest, in the national shares."""
    kids = a.kids
    n = len(kids)
    counts = {k: int(round(v * n)) for k, v in LEGAL.items()}
    legal = np.full(n, "", dtype=object)
    legal[kids.cat == ADOPTION] = "E1"
    young_adopt = np.array([Route.ADOPTION in p for p in a.plans]) & (kids.age < 5) & (legal == "")
    extra = max(counts["placement_order"] - int((legal == "E1").sum()), 0)
    idx = np.flatnonzero(young_adopt)
    legal[rng.permutation(idx)[:extra]] = "E1"
    legal[kids.uasc] = "V2"
    s20_more = max(counts["s20"] - int(kids.uasc.sum()), 0)
    cand = np.flatnonzero((legal == "") & (kids.cat != PARENTS))
    w = np.where(kids.age[cand] >= 14, 3.0, 1.0)
    take: np.ndarray = (
        rng.choice(cand, size=min(s20_more, len(cand)), replace=False, p=w / w.sum()) if len(cand) else cand[:0]
    )
    legal[take] = "V2"
    in_care = (np.datetime64(a.as_of, "D") - a.dates.entered).astype(np.int64)
    legal[legal == ""] = np.where(in_care[legal == ""] < 180, "C1", "C2")
    return legal


def _ethnicity(rng: np.random.Generator, uasc: np.ndarray) -> np.ndarray:
    groups = list(ETHNICITY)
    p_all = np.array([ETHNICITY[g][0] for g in groups])
    p_uasc = np.array([UASC_ETHNICITY[g] for g in groups])
    # Shares for the non-asylum-seekers that bring the whole to the national shares.
    share_u = uasc.mean() if len(uasc) else 0.0
    p_rest = np.clip((p_all - share_u * p_uasc) / max(1 - share_u, 1e-9), 0.001, None)
    out = np.empty(len(uasc), dtype=object)
    for mask, p in ((uasc, p_uasc), (~uasc, p_rest)):
        g = rng.choice(len(groups), p=p / p.sum(), size=int(mask.sum()))
        out[np.flatnonzero(mask)] = [str(_pick(rng, ETHNICITY[groups[k]][1], 1)[0]) for k in g]
    return out


def _dfe_dates(values: pd.Series) -> pd.Series:
    """datetime64 days (NaT blank) as DD/MM/YYYY text, the whole column at once."""
    iso = pd.Series(np.datetime_as_string(np.array(values.tolist(), dtype="datetime64[D]")), index=values.index)
    text = iso.str[8:10] + "/" + iso.str[5:7] + "/" + iso.str[:4]
    return text.where(iso != "NaT", "")


def _sex(male: bool) -> str:
    return "M" if male else "F"  # the 2024/25 coding (1/2 before)


def authority_history(a: Authority, rng: np.random.Generator) -> dict[str, list[list[object]]]:
    """Rows of each table for one authority: today's children, then those who left care."""
    kids, w = a.kids, _Writer(a, rng)
    as_of = np.datetime64(a.as_of, "D")
    n = len(kids)
    dob = np.array([np.datetime64(d, "D") for d in kids.dob])
    legal = _legal_now(rng, a)
    cin = np.where(kids.uasc, "N8", _pick(rng, CIN, n))
    unstable = rng.random(n) < UNSTABLE_SHARE
    ethnic = _ethnicity(rng, kids.uasc)
    rows: dict[str, list[list[object]]] = {
        k: [] for k in ("Header", "Episodes", "Reviews", "UASC", "PlacedAdoption", "SWEpisodes")
    }
    stays: list[_Stay] = []
    for i in range(n):
        home = int(kids.home[i])
        home_post = str(a.geo.postcode[home]) if home >= 0 else ""
        j = int(kids.place[i])
        kind = str(kids.cat[i])
        if j >= 0 and not kids.needing[i]:
            last = w.register_place(j, kind, bool(a.places.long_term[j]))
        else:
            age = float(kids.age[i])
            last = w.placement(kind, as_of, age, home)
        stay = _Stay(str(a.child_id[i]), dob[i], a.dates.entered[i], NAT, "", str(legal[i]), str(cin[i]), home_post,
                     last, kind)  # fmt: skip
        stay.placement_start = _placement_start(rng, stay, kind, unstable[i], as_of, kids.age[i])
        first_legal = {"C2": "C1", "E1": "C2"}.get(stay.legal)
        w.episodes_of(stay, bool(unstable[i]), home, first_legal)
        stays.append(stay)
        mother = "1" if kids.has(Need.PARENT_AND_CHILD)[i] else ""
        baby = as_of - np.timedelta64(int(rng.integers(14, 300)), "D") if mother else NAT
        rows["Header"].append([stay.child, _sex(bool(kids.male[i])), dob[i], ethnic[i], "", mother, baby])
        if kids.uasc[i]:
            rows["UASC"].append([stay.child, _sex(bool(kids.male[i])), dob[i], _birthday(dob[i], 18)])
        if kind == ADOPTION:
            rows["PlacedAdoption"].append([stay.child, dob[i], stay.placed_on(), "", ""])
        _reviews(rng, stay.child, dob[i], a.dates.reviews[i], rows["Reviews"])
    left = _leavers(a, w, rng, dob)
    left_ethnic = _ethnicity(rng, np.array([s.uasc for s in left], dtype=bool))
    for s, eth in zip(left, left_ethnic, strict=True):
        rows["Header"].append([s.child, _sex(s.male), s.dob, eth, "", "", ""])
        if s.uasc:
            rows["UASC"].append([s.child, _sex(s.male), s.dob, _birthday(s.dob, 18)])
        if s.last_kind == ADOPTION:
            rows["PlacedAdoption"].append([s.child, s.dob, s.placed_on(), "", ""])
        _reviews(rng, s.child, s.dob, s.reviews, rows["Reviews"])
    stays.extend(left)
    for stay in stays:
        for e in stay.episodes:
            rows["Episodes"].append([e[0], e[1], *e[2:7], e[7], *e[8:]])
    _social_workers(a, w, stays, rows["SWEpisodes"])
    return rows


def _placement_start(rng, stay: _Stay, kind: str, unstable: bool, as_of, age) -> np.datetime64:
    """When today's placement began: after entry; for supported accommodation, at 16 or later;
    for a placement for adoption, within the last year."""
    mean = (UNSTABLE_YEARS if unstable else STABLE_YEARS) * 365
    start = as_of - np.timedelta64(int(rng.exponential(mean)) + 1, "D")
    if kind == SUPPORTED:
        start = max(start, _birthday(stay.dob, 16))
    if kind == ADOPTION:
        start = max(start, as_of - np.timedelta64(int(rng.integers(20, 330)), "D"))
    return max(start, stay.start)


def _birthday(dob: np.datetime64, years: int) -> np.datetime64:
    d = dob.astype(dt.date)
    try:
        return np.datetime64(d.replace(year=d.year + years), "D")
    except ValueError:
        return np.datetime64(d.replace(year=d.year + years, day=28), "D")


def _reviews(
    rng: np.random.Generator, child: str, dob: np.datetime64, days: np.ndarray, out: list[list[object]]
) -> None:
    """Review rows: how the child took part (PN0 under 4, else PN1-PN7)."""
    if len(days) == 0:
        return
    codes = np.where(days - dob < np.timedelta64(4 * 365, "D"), "PN0", _pick(rng, REVIEW_CODES, len(days)))
    out.extend([child, dob, r, c] for r, c in zip(days, codes.tolist(), strict=True))


def _leavers(a: Authority, w: _Writer, rng: np.random.Generator, dob_now: np.ndarray) -> list[_Stay]:
    """Children who left care in the five years before the as-of date: so many a year that ceases
    match the profile, and with start dates that bring starts per year to the profile's."""
    as_of = np.datetime64(a.as_of, "D")
    starts_target, ceases_target = a.profile.starts(), a.profile.ceases()
    entered = a.dates.entered
    window = [(as_of - (j + 1) * YEAR, as_of - j * YEAR) for j in range(YEARS)]
    started = [int(((entered > lo) & (entered <= hi)).sum()) for lo, hi in window]
    n_cease = [int(round(ceases_target))] * YEARS
    prefix = str(a.child_id[0]).rsplit("C", 1)[0] if len(a.child_id) else ""
    next_id = len(a.kids) + 1
    stays: list[_Stay] = []
    labels = [c for c, _, _ in CEASE]
    p = np.array([x for _, x, _ in CEASE])
    ages = {c: r for c, _, r in CEASE}
    for j, (lo, hi) in enumerate(window):
        k = n_cease[j]
        span = (hi - lo).astype(int)
        cease = hi - np.timedelta64(1, "D") - (rng.random(k) * (span - 1)).astype("timedelta64[D]")
        cease = np.minimum(cease, as_of - np.timedelta64(1, "D"))
        need = max(int(round(starts_target)) - started[j], 0)
        same_year = np.zeros(k, dtype=bool)
        same_year[rng.permutation(k)[: min(need, k)]] = True
        reason = np.array(labels, dtype=object)[rng.choice(len(labels), p=p / p.sum(), size=k)]
        for m in range(k):
            c_day = cease[m]
            if same_year[m]:
                room = max((c_day - lo).astype(int) - 1, 1)
                start = c_day - np.timedelta64(int(rng.integers(1, room + 1)), "D")
            else:
                start = lo - np.timedelta64(int(rng.exponential(1.6 * 365)) + 1, "D")
            rec = str(reason[m])
            lo_age, hi_age = ages[rec]
            age_days = int(rng.uniform(lo_age, hi_age + 1) * 365.25) if lo_age < 18 else 18 * 365 + 5
            dob = c_day - np.timedelta64(age_days, "D")
            if rec in ("E17", "E7"):
                dob = _birthday_before(c_day, 18)
            if dob >= start:
                dob = start - np.timedelta64(int(rng.integers(0, 30)), "D")
            for jj, (l2, h2) in enumerate(window):
                if l2 < start <= h2:
                    started[jj] += 1
            stays.append(_leaver(a, w, rng, f"{prefix}C{next_id:04d}", dob, start, c_day, rec))
            next_id += 1
    if stays:  # their reviews, all at once: each up to the day before they left care
        starts = np.array([s.start for s in stays], dtype=D)
        ends = np.array([s.end for s in stays], dtype=D) - np.timedelta64(1, "D")
        for s, r in zip(stays, review_history(rng, starts, ends, np.zeros(len(stays), bool)), strict=True):
            s.reviews = r
    return stays


def _birthday_before(day: np.datetime64, years: int) -> np.datetime64:
    d = day.astype(dt.date)
    try:
        return np.datetime64(d.replace(year=d.year - years), "D")
    except ValueError:
        return np.datetime64(d.replace(year=d.year - years, day=28), "D")


def _leaver(a: Authority, w: _Writer, rng: np.random.Generator, child: str, dob, start, cease, rec: str) -> _Stay:
    age_at_end = (cease - dob).astype(int) / 365.25
    uasc = rec in ("E15",) or (age_at_end >= 16 and rng.random() < 0.2)
    male = rng.random() < (0.96 if uasc else 0.53)
    if rec in ("E11", "E12"):
        kind, legal = ADOPTION, "E1"
    elif rec in ("E4A", "E4B") and rng.random() < 0.3:
        kind, legal = PARENTS, "C2"
    elif rec in ("E5", "E6") and age_at_end >= 16.5:
        kind, legal = SUPPORTED, "V2" if uasc else "C2"
    elif rec == "E14":
        kind, legal = RESIDENTIAL, "J1"
    else:
        kind = KINSHIP if rec in ("E45", "E47", "E41") else FOSTER
        legal = "V2" if uasc or rng.random() < 0.3 else "C2"
    home_idx = -1 if uasc else int(a.geo.draw(rng, a.profile.home, 1)[0])
    home_post = "" if uasc else str(a.geo.postcode[home_idx])
    last = w.placement(kind, cease, age_at_end, home_idx)
    stay = _Stay(
        child, dob, start, cease, rec, legal, "N8" if uasc else str(_pick(rng, CIN, 1)[0]), home_post, last, kind
    )
    if kind == SUPPORTED:
        stay.placement_start = max(_birthday(dob, 16) + np.timedelta64(1, "D"), start)
        if stay.placement_start >= cease:
            stay.placement_start = start
        stay.last = w.placement(kind, stay.placement_start, age_at_end, home_idx)
    if kind == ADOPTION:
        stay.placement_start = max(cease - np.timedelta64(int(rng.integers(70, 330)), "D"), start)
    first_legal = {"C2": "C1", "E1": "C2"}.get(legal)
    w.episodes_of(stay, rng.random() < UNSTABLE_SHARE, home_idx, first_legal)
    stay.uasc, stay.male = uasc, male
    return stay


def _social_workers(a: Authority, w: _Writer, stays: list[_Stay], out: list[list[object]]) -> None:
    """Social-worker episodes over each period of care, changing as a gamma-mixed Poisson process."""
    rng = w.rng
    as_of = np.datetime64(a.as_of, "D")
    prefix = str(a.child_id[0]).rsplit("C", 1)[0] if len(a.child_id) else ""
    pool = max(len(a.kids) // CASELOAD, 3)
    for stay in stays:
        end = stay.end if not np.isnat(stay.end) else as_of
        rate = rng.gamma(2.0, SW_CHANGES_PER_YEAR / 2.0) / 365.0
        t, changes = stay.start, []
        while True:
            t = t + np.timedelta64(int(rng.exponential(1.0 / max(rate, 1e-6))) + 1, "D")
            if t >= end:
                break
            changes.append(t)
        bounds = [stay.start, *changes]
        for k, b in enumerate(bounds):
            dec = bounds[k + 1] if k + 1 < len(bounds) else (stay.end if not np.isnat(stay.end) else NAT)
            reason = "OTHERS" if k == 0 else w.pick(SW_REASONS)
            sw = f"{prefix}SW{int(rng.integers(1, pool + 1)):04d}"
            out.append([stay.child, stay.dob, sw, b, dec, reason])


def history_tables(parts: list[dict[str, list[list[object]]]]) -> dict[str, pd.DataFrame]:
    """The six tables over every authority's rows (``authority_history``), in CHILD order."""
    out = {}
    for name in ("Header", "Episodes", "Reviews", "UASC", "PlacedAdoption", "SWEpisodes"):
        rows = [r for part in parts for r in part.get(name, [])]
        frame = pd.DataFrame(rows, columns=list(TABLES[name]), dtype=object)
        for col in DATE_COLUMNS[name]:
            frame[col] = _dfe_dates(frame[col])
        out[name] = frame.sort_values("CHILD", kind="stable").reset_index(drop=True)
    return out
