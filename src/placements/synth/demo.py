"""The embedded demo authority: a seeded, synthetic city the size of Nottingham.

Why a generator rather than a hand-made file: the demo must be big enough to show the engine at a
city's scale (about 650 children, 300 homes), plausible in every proportion a placement officer or
a commissioner would look at, consistent in the ways the case-folder reader checks, and provably
free of real children's data. Everything is drawn from ``numpy.random.default_rng(seed)``, so the
same profile, seed and date give the same bytes; only real ONS postcodes (and no names) are used.

The figures are national ones, scaled to the profile: DfE "Children looked after in England"
(31 March 2024) for ages, sex, asylum seekers and where children live; Ofsted "Fostering in
England" 2024 for approved places and vacancies; the Children's Commissioner (2023) for sibling
groups; CMA (2021) and NAO (2025) for weekly costs. They make the demo plausible, not calibrated:
calibrating an authority precisely is a separate job.

The generator works in the order a real authority's data comes about:

1. children: age, sex, asylum status, sibling groups, family home, assessed needs;
2. who needs a home today (some whole sibling groups, a few emergencies) and who lives with
   parents, is placed for adoption or in another arrangement;
3. the register of homes: in-house and IFA foster households, connected-person carers for named
   children, children's homes, supported accommodation;
4. where each placed child lives, near home where possible and, for most sibling groups, together;
   a home that takes a child is taken to meet that child's needs and age (its approval follows the
   child), so every placed child is lawfully placed where they are;
5. the rest of each home's places: children of other authorities, vacancies (about 16% of approved
   foster places), places not available;
6. permanence plans, reviews, assessments and distance limits, consistent with where children live.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from functools import lru_cache

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
from placements.io.postcodes import postcodes_in

# ---------------------------------------------------------------------------------------------
# Geography: ONS local authority codes, grouped as a placement team thinks of them.

NOTTINGHAM = ("E06000018",)
NOTTINGHAMSHIRE = tuple(f"E0700017{i}" for i in range(7))  # Ashfield .. Rushcliffe
DERBY = ("E06000015",)
DERBYSHIRE = tuple(f"E070000{i}" for i in range(32, 40))  # Amber Valley .. South Derbyshire
LEICESTER = ("E06000016",)
LEICESTERSHIRE = tuple(f"E07000{i}" for i in range(129, 136))  # Blaby .. Oadby and Wigston
#: Further away, where many children's homes are: Lincolnshire, Stoke and north Staffordshire,
#: South Yorkshire, Northamptonshire and Leeds (all under postcode letters N, D, L and S).
FURTHER_AWAY = (
    "E07000137", "E07000138", "E07000139", "E07000141", "E07000142",  # Lincolnshire districts
    "E06000021", "E07000193", "E07000195", "E07000197", "E07000198",  # Stoke, Staffordshire
    "E08000017", "E08000018", "E08000038", "E08000039",  # Doncaster, Rotherham, Barnsley, Sheffield
    "E06000061", "E06000062", "E08000035",  # North and West Northamptonshire, Leeds
)  # fmt: skip

#: Where a kind of thing is: groups of authorities with weights. Within a group every live
#: postcode is equally likely, which spreads homes roughly as people are spread.
LaMix = tuple[tuple[tuple[str, ...], float], ...]

MILE_M = 1609.3  # metres per mile, as in the DfE distance formula


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
TRY_TOGETHER = 0.8
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

# Where a placed child lives (internal labels): a setting, or one of the arrangements that have
# no place on the register (placed with parents 6.3%, placed for adoption 2.3%, other).
PARENTS, ADOPTION, OTHER = "parents", "adoption", "other"


@dataclass(frozen=True)
class Profile:
    """What makes one synthetic authority differ from another: size, geography and homes."""

    la_code: str
    letters: tuple[str, ...]  # postcode first letters covering every authority below
    n_children: int
    n_needing: int
    n_emergency: tuple[int, int]  # inclusive range
    n_needing_sibling_groups: tuple[int, int]  # whole groups needing a home, inclusive range
    home: LaMix  # family homes
    n_in_house: int
    n_ifa: int  # of which n_parent_and_child are parent-and-child carers
    n_parent_and_child: int
    n_kinship_placed: int  # connected-person households for children living there
    n_kinship_needing: int  # ... for children who need a home today
    n_homes: int  # children's homes, of which the disability and solo homes below
    n_disability_homes: int
    n_solo_homes: int
    n_supported: int
    in_house: LaMix
    ifa: LaMix
    homes: LaMix
    supported: LaMix
    foster_vacant_share: float = 0.16  # Ofsted 2024: 16% of approved places vacant
    #: Of a home's free places that are not vacant, the share taken by other authorities'
    #: children (the rest are not available: a carer's break, a bed out of use).
    other_la_share: tuple[tuple[str, float], ...] = (
        (IFA, 0.3),
        (PARENT_CHILD, 0.5),
        (HOME, 0.8),
        (DISABILITY_HOME, 0.6),
        (SUPPORTED, 0.7),
    )
    #: Share of the approved places of children's homes and supported accommodation vacant today:
    #: the homes a placement team sees are those with one of its children or a place to offer.
    home_vacant_share: float = 0.35
    #: Homes that take children at risk of exploitation are in most demand: less often vacant.
    exploitation_vacancy_weight: float = 0.3

    def all_las(self) -> tuple[str, ...]:
        mixes = (self.home, self.in_house, self.ifa, self.homes, self.supported)
        return tuple(sorted({la for mix in mixes for group, _ in mix for la in group} | {self.la_code}))


PROFILES: dict[str, Profile] = {
    "nottingham": Profile(
        la_code=NOTTINGHAM[0],
        letters=("D", "L", "N", "S"),
        n_children=650,
        n_needing=40,
        n_emergency=(6, 10),
        n_needing_sibling_groups=(4, 6),
        home=((NOTTINGHAM, 0.85), (NOTTINGHAMSHIRE, 0.15)),
        n_in_house=100,
        n_ifa=160,
        n_parent_and_child=4,
        n_kinship_placed=6,
        n_kinship_needing=2,
        n_homes=44,
        n_disability_homes=4,
        n_solo_homes=6,
        n_supported=15,
        in_house=((NOTTINGHAM, 0.6), (NOTTINGHAMSHIRE, 0.4)),
        ifa=((NOTTINGHAM, 0.15), (NOTTINGHAMSHIRE, 0.40), (DERBY, 0.12), (DERBYSHIRE, 0.23), (LEICESTER, 0.10)),
        homes=(
            (NOTTINGHAM, 0.15),
            (NOTTINGHAMSHIRE, 0.25),
            (DERBY + DERBYSHIRE, 0.20),
            (LEICESTER + LEICESTERSHIRE, 0.10),
            (FURTHER_AWAY, 0.30),
        ),
        supported=((NOTTINGHAM, 0.55), (NOTTINGHAMSHIRE, 0.25), (DERBY, 0.20)),
    )
}


# ---------------------------------------------------------------------------------------------
# Postcodes


@dataclass(frozen=True)
class _Geography:
    """Every live postcode of the profile's authorities, sorted, so draws do not depend on file order."""

    postcode: np.ndarray
    easting: np.ndarray
    northing: np.ndarray
    la: np.ndarray
    _groups: dict[tuple[str, ...], np.ndarray] = field(default_factory=dict)

    def group(self, las: tuple[str, ...]) -> np.ndarray:
        if las not in self._groups:
            idx = np.flatnonzero(np.isin(self.la, las))
            if len(idx) == 0:
                raise ValueError(f"no postcodes found for {las}")
            self._groups[las] = idx
        return self._groups[las]

    def draw(self, rng: np.random.Generator, mix: LaMix, n: int) -> np.ndarray:
        """``n`` postcode indices: a group by weight, then any postcode in it."""
        weights = np.array([w for _, w in mix], dtype=float)
        which = rng.choice(len(mix), p=weights / weights.sum(), size=n)
        out = np.empty(n, dtype=np.int64)
        for g, (las, _) in enumerate(mix):
            pool = self.group(las)
            hit = which == g
            out[hit] = pool[rng.integers(0, len(pool), size=int(hit.sum()))]
        return out

    def near(self, rng: np.random.Generator, at: int, km: float) -> int:
        """A postcode in the same authority within ``km`` of postcode ``at`` (a relative's home)."""
        pool = self.group((str(self.la[at]),))
        d = np.hypot(self.easting[pool] - self.easting[at], self.northing[pool] - self.northing[at])
        close = pool[(d > 200) & (d < km * 1000)]
        return int(rng.choice(close)) if len(close) else at

    def miles(self, a: int, b: np.ndarray) -> np.ndarray:
        return np.hypot(self.easting[b] - self.easting[a], self.northing[b] - self.northing[a]) / MILE_M


@lru_cache(maxsize=8)
def _geography(profile: Profile) -> _Geography:
    frame = postcodes_in(profile.all_las(), profile.letters).sort_index()
    return _Geography(
        postcode=frame.index.to_numpy(dtype=str),
        easting=frame["easting"].to_numpy(dtype=float),
        northing=frame["northing"].to_numpy(dtype=float),
        la=frame["la_code"].to_numpy(dtype=str),
    )


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
    where: np.ndarray = field(init=False)  # Setting value, KINSHIP, PARENTS, ADOPTION, OTHER; "" if needing
    place: np.ndarray = field(init=False)  # place index, -1 for none

    def __post_init__(self) -> None:
        n = len(self.age)
        self.needing = np.zeros(n, dtype=bool)
        self.emergency = np.zeros(n, dtype=bool)
        self.lone = np.zeros(n, dtype=bool)
        self.where = np.full(n, "", dtype=object)
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


def _children(rng: np.random.Generator, prof: Profile, geo: _Geography, as_of: dt.date) -> _Children:
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
    male = rng.random(n) < np.where(uasc, MALE_UASC, MALE_OTHERS)

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
    k = int(rng.integers(prof.n_needing_sibling_groups[0], prof.n_needing_sibling_groups[1] + 1))
    w = np.array([1.0 / (1.0 + kids.age[g].mean() / 5.0) for g in small])
    for gi in rng.choice(len(small), size=k, replace=False, p=w / w.sum()):
        kids.needing[small[gi]] = True
    left = prof.n_needing - int(kids.needing.sum())
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


def _where(rng: np.random.Generator, kids: _Children) -> None:
    """Where each placed child lives, by kind: no place (with parents, placed for adoption,
    another arrangement), supported accommodation (16-17 only), a children's home, or foster care.

    Placed with parents and for adoption are decided per family, so siblings share them.
    """
    n, a = len(kids), kids.age
    fam = np.where(kids.group >= 0, kids.group, kids.group.max() + 1 + np.arange(n))
    _, fam_of = np.unique(fam, return_inverse=True)
    fam_u = rng.random(fam_of.max() + 1)[fam_of]
    u = rng.random(n)
    heavy = np.minimum(kids.heavy(), 2)
    p_home = np.select([a >= 12, a >= 8], [0.11 + 0.17 * heavy, 0.03 + 0.06 * heavy], 0.0)
    p_home += np.where((a >= 5) & kids.has(Need.DISABILITY), 0.12, 0.0)
    p_home = np.minimum(np.where(kids.uasc, 0.3 * p_home, p_home), 0.8)
    p_home = np.where(kids.lone, 0.5, p_home)
    p_supported = np.where((a >= SUPPORTED_MIN_AGE) & ~kids.lone, np.where(kids.uasc, 0.50, 0.15), 0.0)
    where = np.full(n, Setting.FOSTER.value, dtype=object)
    where[rng.random(n) < p_home] = Setting.RESIDENTIAL.value
    where[u < p_supported] = Setting.SUPPORTED.value
    other = rng.random(n) < np.where(a >= 16, 0.07, 0.01)
    where[other & ~kids.lone] = OTHER
    where[(fam_u < 0.075) & (a < 16) & ~kids.uasc & ~kids.lone] = PARENTS
    where[(fam_u > 0.87) & (a < 5) & ~kids.uasc] = ADOPTION
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
    }


def _foster(rng: np.random.Generator, geo: _Geography, n: int, mix: LaMix, kind: str) -> dict[str, np.ndarray | list]:
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


def _parent_and_child(rng: np.random.Generator, geo: _Geography, n: int, mix: LaMix) -> dict[str, np.ndarray | list]:
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


def _homes(rng: np.random.Generator, geo: _Geography, prof: Profile) -> dict[str, np.ndarray | list]:
    """Children's homes: mostly private (81%), about 3.8 places, most outside the city; a few
    for disabled children and a few single-child ("solo") homes."""
    n_dis, n_solo = prof.n_disability_homes, prof.n_solo_homes
    n_gen = prof.n_homes - n_dis - n_solo
    kind = np.array([HOME] * n_gen + [DISABILITY_HOME] * n_dis + [SOLO_HOME] * n_solo, dtype=object)
    n = len(kind)
    approved = np.select(
        [kind == SOLO_HOME, kind == DISABILITY_HOME],
        [np.ones(n, int), rng.integers(3, 6, n)],
        rng.choice([2, 3, 4, 5, 6], p=[0.10, 0.20, 0.35, 0.20, 0.15], size=n),
    )
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
    providers = [Provider.PRIVATE, Provider.VOLUNTARY, Provider.IN_HOUSE]
    provider = np.array(rng.choice(providers, p=[0.81, 0.09, 0.10], size=n), dtype=object)
    cost = np.clip(_rounded(3800 + rng.gamma(2.0, 550.0, n), 10), 3800, 6500)
    cost[dis] = _rounded(rng.uniform(5000, 6500, n_dis), 10)
    cost[solo] = _rounded(rng.uniform(6000, 6500, n_solo), 10)
    no = np.zeros(n, dtype=bool)
    pc = geo.draw(rng, prof.homes, n)
    blk = _block(HOME, Setting.RESIDENTIAL, provider, pc, approved, ages, sex, meets, no, no, cost)
    blk["kind"] = kind
    return blk


def _supported(rng: np.random.Generator, geo: _Geography, prof: Profile) -> dict[str, np.ndarray | list]:
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


def _kinship(rng: np.random.Generator, prof: Profile, kids: _Children, geo: _Geography) -> dict[str, np.ndarray | list]:
    """Connected-person carers approved for named children: some living there now, some who need
    a home today and can go there. A relative lives near the family home."""

    def pick(among: np.ndarray, k: int) -> list[np.ndarray]:
        units = [u for u in _units(kids, among) if len(u) <= 2 and kids.age[u].max() < 16 and kids.home[u[0]] >= 0]
        if not units or k == 0:
            return []
        chosen = rng.choice(len(units), size=min(k, len(units)), replace=False)
        return [units[i] for i in sorted(chosen)]

    placed = pick((kids.where == Setting.FOSTER.value) & ~kids.lone, prof.n_kinship_placed)
    needing = pick(kids.needing & ~kids.lone, prof.n_kinship_needing)
    units = placed + needing
    n = len(units)
    pc = np.array([geo.near(rng, int(kids.home[u[0]]), 8.0) for u in units], dtype=np.int64)
    ages = np.array([(max(0, kids.age[u].min() - 2), min(17, kids.age[u].max() + 3)) for u in units])
    meets = np.array([kids.needs[u].any(axis=0) for u in units]).reshape(n, len(NEEDS))
    approved = np.array([len(u) for u in units])
    cost = np.clip(_rounded(rng.normal(400, 25, n), 5), 350, 450)
    long_term = rng.random(n) < 0.7
    blk = _block(KINSHIP, Setting.FOSTER, Provider.IN_HOUSE, pc, approved, ages, np.full(n, PlaceSex.ANY, dtype=object),
                 meets, long_term, np.zeros(n, dtype=bool), cost)  # fmt: skip
    blk["kinship_for"] = [tuple(int(i) for i in u) for u in units]
    for u in placed:
        kids.where[u] = KINSHIP
    return blk


# ---------------------------------------------------------------------------------------------
# Who lives where


#: How far a placement team looks, in miles, per setting: the weight of a home falls as
#: exp(-miles / scale). In-house carers are tried first.
_SCALE = {Setting.FOSTER: 8.0, Setting.RESIDENTIAL: 40.0, Setting.SUPPORTED: 8.0}
_IN_HOUSE_PREFERENCE = 2.0


def _assign(rng: np.random.Generator, kids: _Children, places: _Places, geo: _Geography) -> dict[str, int]:
    """Put every placed child in a home of the kind drawn for them, hardest first.

    A home first has to fit as it stands; failing that, a home of the right kind with room whose
    approval is then taken to cover the child's needs (and, for foster carers, age), as happens
    when a carer is assessed for a particular child; failing that, another kind of home. Returns
    how often each fallback was needed, for whoever tunes a profile.
    """
    stats = {"fits": 0, "needs_added": 0, "age_widened": 0, "other_setting": 0, "no_home": 0}
    pe, pn = geo.easting[places.pc], geo.northing[places.pc]
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
            w = np.exp(-d / _SCALE[setting])
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
                key = "other_setting" if s_i else ("fits", "needs_added", "age_widened")[relax]
                stats[key] += len(members)
                return True
        return False

    # Units: sibling groups living in the same kind of home are mostly tried together; with those
    # who live in different kinds of home and groups that fit nowhere together, about 63% of
    # children with a sibling in care live with one (SIBLINGS_TOGETHER).
    units: list[tuple[np.ndarray, Setting]] = []
    for setting in (Setting.SUPPORTED, Setting.RESIDENTIAL, Setting.FOSTER):
        among = (kids.where == setting.value) & (kids.place < 0)
        for u in _units(kids, among):
            if len(u) > 1 and rng.random() >= TRY_TOGETHER:
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
    places.others = rng.binomial(free - vac, p_other) * usable
    # Connected-person carers: room only for the named children who need a home today.
    for i, kin in enumerate(places.kinship_for):
        if kin:
            places.vacancies[i] = sum(1 for c in kin if kids.needing[c])
            places.others[i] = 0


# ---------------------------------------------------------------------------------------------
# Plans, reviews, preferences

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
    Setting.SUPPORTED.value: ((Route.INDEPENDENCE, Route.RETURN_HOME), (0.93, 0.07)),
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


def _plan_key(kids: _Children, i: int) -> str:
    a, where = int(kids.age[i]), str(kids.where[i])
    if where in (Setting.FOSTER.value, ""):
        return "under5" if a < 5 else ("5to15" if a < 16 else "16plus")
    if where == Setting.RESIDENTIAL.value:
        return "residential_under12" if a < 12 else ("residential" if a < 16 else "residential_16plus")
    if where == OTHER:
        return "other_16plus" if a >= 16 else "other"
    return where


def _days_ago(as_of: dt.date, days: np.ndarray) -> np.ndarray:
    base = np.datetime64(as_of, "D")
    return np.datetime_as_string(base - days.astype("timedelta64[D]"), unit="D").astype(object)


def _dates(rng: np.random.Generator, kids: _Children, as_of: dt.date) -> dict[str, np.ndarray]:
    """Entered care, last review, assessment: ISO dates before ``as_of``, in a plausible order.

    Reviews fall due within 20 working days of coming into care and then every 3 and 6 months,
    so about 10% are drawn overdue (over six months old); some assessments are over a year old.
    """
    n = len(kids)
    alive = np.array([(as_of - d).days for d in kids.dob])
    in_care = rng.exponential(2.3 * 365, n)
    arrived = np.minimum(rng.exponential(0.9 * 365, n), np.maximum(alive - 13.5 * 365, 30))  # aged 13+
    in_care = np.where(kids.uasc, arrived, in_care)
    new = kids.needing & ((rng.random(n) < 0.6) | kids.emergency)
    in_care = np.where(new, rng.integers(1, 12, n), in_care)
    in_care = np.clip(in_care, 1, np.maximum(alive, 1)).astype(np.int64)

    u = rng.random(n)
    review = np.where(u < 0.88, rng.uniform(1, 183, n), rng.uniform(184, 300, n))
    review = np.minimum(review, in_care - 20).astype(np.int64)
    has_review = (in_care > 28) & (u < 0.96)
    assess = np.where(rng.random(n) < 0.85, rng.uniform(1, 365, n), rng.uniform(366, 900, n))
    assess = np.clip(assess, 1, np.minimum(alive, in_care + 60)).astype(np.int64)
    has_assess = rng.random(n) < 0.8
    return {
        "entered": in_care,
        "entered_care_date": _days_ago(as_of, in_care),
        "last_review_date": np.where(has_review, _days_ago(as_of, np.maximum(review, 1)), ""),
        "assessment_date": np.where(has_assess, _days_ago(as_of, assess), ""),
    }


def _plans(
    rng: np.random.Generator, kids: _Children, places: _Places, entered: np.ndarray, as_of: dt.date
) -> tuple[list[str], np.ndarray]:
    """Permanence plans consistent with where the child lives; 5% dual; none yet for most
    children new to care (a plan is due by the second review)."""
    n = len(kids)
    plans: list[str] = []
    u, blank_u, dual_u, lt_u = rng.random(n), rng.random(n), rng.random(n), rng.random(n)
    for i in range(n):
        p_blank = 0.5 if kids.needing[i] else (0.7 if entered[i] < 120 else 0.04)
        if blank_u[i] < p_blank:
            plans.append("")
            continue
        key = _plan_key(kids, i)
        routes, p = _PLANS[key] if key in _PLANS else _FOSTER_PLANS[key]
        cp = np.cumsum(p)
        first = routes[int(np.searchsorted(cp / cp[-1], u[i], side="right"))]
        # A child of 5-15 with a carer approved long-term mostly has a long-term foster plan.
        j = int(kids.place[i])
        if key == "5to15" and j >= 0 and places.long_term[j] and lt_u[i] < 0.6:
            first = Route.LONG_TERM_FOSTER
        chosen = [first]
        second = _DUAL.get(first)
        if second is not None and dual_u[i] < DUAL_PROB and not (second is Route.RESIDENTIAL and kids.age[i] < 10):
            chosen.append(second)
        plans.append(";".join(r.value for r in chosen))
    days = rng.uniform(0.05, 0.9, n) * np.maximum(entered - 30, 1)
    plan_date = np.where(
        (np.array(plans) != "") & (entered > 60) & (rng.random(n) < 0.85), _days_ago(as_of, np.maximum(days, 1)), ""
    )
    return plans, plan_date


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


def _max_distance(rng: np.random.Generator, kids: _Children, places: _Places, geo: _Geography) -> list[str]:
    """About 5% of children have a distance limit (10-25 miles). A placed child's limit is never
    broken by the home they live in."""
    n = len(kids)
    out = [""] * n
    limit = np.array(MAX_DISTANCE_CHOICES)
    pick = rng.choice(len(limit), size=n)
    for i in np.flatnonzero((rng.random(n) < MAX_DISTANCE_SHARE) & (kids.home >= 0)):
        cap = int(limit[pick[i]])
        j = int(kids.place[i])
        if j >= 0:
            d = float(geo.miles(int(kids.home[i]), np.array([places.pc[j]]))[0])
            fits = limit[limit >= d + 0.1]
            if len(fits) == 0:
                continue
            cap = int(max(cap, fits[0]))
        out[i] = str(cap)
    return out


# ---------------------------------------------------------------------------------------------
# Output


def _csv(header: list[str], rows: list[list[str]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def _need_list(row: np.ndarray) -> str:
    return ";".join(NEEDS[k].value for k in np.flatnonzero(row))


def _yes_no(b: bool) -> str:
    return "yes" if b else "no"


def generate_case_folder(profile: str, seed: int, as_of: dt.date) -> dict[str, str]:
    """The text of ``children.csv``, ``places.csv`` and ``policy.toml`` of a synthetic authority.

    Pure and deterministic: the same profile, seed and date give identical bytes. Rows are sorted
    by id; ids carry no information (children are numbered in a shuffled order).
    """
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose from {sorted(PROFILES)}")
    prof = PROFILES[profile]
    geo = _geography(prof)
    rng = np.random.default_rng(seed)

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
    _assign(rng, kids, places, geo)
    _occupancy(rng, prof, places, kids)
    dates = _dates(rng, kids, as_of)
    plans, plan_date = _plans(rng, kids, places, dates["entered"], as_of)
    settings = _settings(rng, kids)
    max_distance = _max_distance(rng, kids, places, geo)

    # Ids: children numbered in a shuffled order; homes by kind, foster households shuffled.
    n, m = len(kids), len(places)
    child_id = np.empty(n, dtype=object)
    child_id[rng.permutation(n)] = [f"C{k + 1:04d}" for k in range(n)]
    place_id = np.empty(m, dtype=object)
    for setting, prefix, width in ((Setting.FOSTER, "F", 3), (Setting.RESIDENTIAL, "R", 2), (Setting.SUPPORTED, "S", 2)):
        idx = np.flatnonzero(places.setting == setting)
        place_id[rng.permutation(idx)] = [f"{prefix}{k + 1:0{width}d}" for k in range(len(idx))]
    groups = kids.groups()
    first = [min(child_id[g]) for g in groups]
    group_label = {int(gi): f"SG{k + 1:03d}" for k, gi in enumerate(np.argsort(first, kind="stable"))}

    child_rows = []
    for i in range(n):
        needing = bool(kids.needing[i])
        child_rows.append(
            [
                child_id[i],
                kids.dob[i].isoformat(),
                (Sex.MALE if kids.male[i] else Sex.FEMALE).value,
                (Status.NEEDS_PLACEMENT if needing else Status.PLACED).value,
                place_id[kids.place[i]] if kids.place[i] >= 0 else "",
                (Urgency.EMERGENCY if kids.emergency[i] else Urgency.PLANNED).value if needing else "",
                group_label[int(kids.group[i])] if kids.group[i] >= 0 else "",
                _need_list(kids.needs[i]),
                settings[i],
                _yes_no(not kids.lone[i]),
                geo.postcode[kids.home[i]] if kids.home[i] >= 0 else "",
                max_distance[i],
                plans[i],
                plan_date[i],
                dates["last_review_date"][i],
                dates["entered_care_date"][i],
                dates["assessment_date"][i],
            ]
        )
    child_rows.sort(key=lambda r: r[0])
    place_rows = []
    for j in range(m):
        place_rows.append(
            [
                place_id[j],
                str(places.setting[j]),
                str(places.provider[j]),
                geo.postcode[places.pc[j]],
                geo.la[places.pc[j]],
                str(int(places.vacancies[j])),
                str(int(places.ours[j] + places.others[j])),
                str(int(places.age_min[j])),
                str(int(places.age_max[j])),
                str(places.sex[j]),
                _need_list(places.meets[j]),
                f"{places.cost[j]:.0f}",
                _yes_no(bool(places.long_term[j])),
                _yes_no(bool(places.exemption[j])),
                ";".join(sorted(child_id[c] for c in places.kinship_for[j])),
            ]
        )
    place_rows.sort(key=lambda r: r[0])
    policy = (
        f"# Synthetic demo authority: profile {profile!r}, seed {seed}. No real child's data.\n"
        "# Everything not set here takes the defaults documented in placements.policy.\n"
        f"as_of = {as_of.isoformat()}\n"
        f'la_code = "{prof.la_code}"\n'
    )
    return {
        "children.csv": _csv(CHILD_COLUMNS, child_rows),
        "places.csv": _csv(PLACE_COLUMNS, place_rows),
        "policy.toml": policy,
    }


CHILD_COLUMNS = [
    "child_id",
    "date_of_birth",
    "sex",
    "status",
    "current_place_id",
    "urgency",
    "sibling_group",
    "needs",
    "settings",
    "lives_with_others",
    "home_postcode",
    "max_distance_miles",
    "permanence_plan",
    "plan_date",
    "last_review_date",
    "entered_care_date",
    "assessment_date",
]
PLACE_COLUMNS = [
    "place_id",
    "setting",
    "provider",
    "postcode",
    "local_authority",
    "vacancies",
    "children_in_placement",
    "age_min",
    "age_max",
    "sex",
    "meets_needs",
    "weekly_cost",
    "long_term",
    "sibling_exemption",
    "kinship_for",
]
