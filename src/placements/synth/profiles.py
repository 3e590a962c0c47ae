"""Synthetic authority profiles: how many children, how many homes of each kind, and where.

A ``Profile`` describes one authority. A named profile (``PROFILES``) is one or more of them:

- ``nottingham``: a city the size of Nottingham (650 children), homes drawn the way its own
  placement team describes them (most children's homes outside the city);
- ``england-average``: one authority at national rates (83,630 children / 152 authorities, about
  550 children), placed in Coventry's geography;
- ``region``: the four Foster for East Midlands councils (Derby, Derbyshire, Nottingham,
  Nottinghamshire): 3,314 children together (domain.md);
- ``england``: 83,600 children across 151 authorities (every unitary, metropolitan, London and
  county council with more than a handful of postcodes), sized by their number of postcodes.

Counts of homes scale with the number of children at Nottingham's ratios, which follow Ofsted
and DfE national figures (see ``docs/synth.md``).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from placements.areas import COUNTY_DISTRICTS, districts
from placements.synth.catalogue import PROFILES
from placements.synth.geography import Geography, LaMix, england, geography
from placements.synth.market import RealHome

NOTTINGHAM = ("E06000018",)
NOTTINGHAMSHIRE = COUNTY_DISTRICTS["E10000024"]  # Ashfield .. Rushcliffe
DERBY = ("E06000015",)
DERBYSHIRE = COUNTY_DISTRICTS["E10000007"]  # Amber Valley .. South Derbyshire
LEICESTER = ("E06000016",)
LEICESTERSHIRE = COUNTY_DISTRICTS["E10000018"]  # Blaby .. Oadby and Wigston
#: Further away, where many children's homes are: Lincolnshire, Stoke and north Staffordshire,
#: South Yorkshire, Northamptonshire and Leeds (all under postcode letters N, D, L and S).
FURTHER_AWAY = (
    "E07000137", "E07000138", "E07000139", "E07000141", "E07000142",  # Lincolnshire districts
    "E06000021", "E07000193", "E07000195", "E07000197", "E07000198",  # Stoke, Staffordshire
    "E08000017", "E08000018", "E08000038", "E08000039",  # Doncaster, Rotherham, Barnsley, Sheffield
    "E06000061", "E06000062", "E08000035",  # North and West Northamptonshire, Leeds
)  # fmt: skip
EAST_MIDLANDS_LETTERS = ("D", "L", "N", "S")

#: National figures (DfE CLA 2024): starts and ceases in the year per child looked after.
STARTS_PER_CHILD = 33_050 / 83_630
CEASES_PER_CHILD = 33_620 / 83_630
#: DfE CLA 2024: 43% of children placed outside their authority's boundary (Nottingham 61%).
OUT_OF_AREA = 0.43


@dataclass(frozen=True)
class Profile:
    """What makes one synthetic authority differ from another: size, geography and homes."""

    la_code: str
    n_children: int
    n_needing: int
    n_emergency: tuple[int, int]  # inclusive range
    n_needing_sibling_groups: tuple[int, int]  # whole groups needing a home, inclusive range
    home: LaMix  # family homes
    n_in_house: int
    n_ifa: int  # of which n_parent_and_child are parent-and-child carers
    n_parent_and_child: int
    n_kinship_needing: int  # connected-person households for children who need a home today
    n_homes: int  # children's homes, of which the disability and solo homes below
    n_disability_homes: int
    n_solo_homes: int
    n_supported: int
    in_house: LaMix
    ifa: LaMix
    homes: LaMix
    supported: LaMix
    #: Figures the calibration check holds this authority to (national unless said otherwise).
    out_of_area: float = OUT_OF_AREA
    starts_per_year: float | None = None  # None: national rate x children
    ceases_per_year: float | None = None
    foster_vacant_share: float = 0.16  # Ofsted 2024: 16% of approved places vacant
    #: Of a foster household's approved places, the share filled (Ofsted 2024: about 61%); the
    #: rest after vacancies is not available (a carer's break, a bed out of use).
    foster_filled_share: float = 0.61
    #: Of a children's home's free places that are not vacant, the share taken by other
    #: authorities' children (the rest are not available).
    other_la_share: tuple[tuple[str, float], ...] = (
        ("home", 0.8),
        ("disability_home", 0.6),
        ("supported", 0.7),
    )
    #: Share of the approved places of children's homes and supported accommodation vacant today:
    #: the homes a placement team sees are those with one of its children or a place to offer.
    home_vacant_share: float = 0.35
    #: Homes that take children at risk of exploitation are in most demand: less often vacant.
    exploitation_vacancy_weight: float = 0.3
    #: How far the placement team looks for a foster home, a children's home and supported
    #: accommodation, in miles (the weight of a home falls as exp(-miles / scale)).
    search_miles: tuple[float, float, float] = (15.0, 80.0, 12.0)
    #: Share of connected-person carers living anywhere the authority's carers live, rather than
    #: within 8 km of the family home.
    kinship_away: float = 0.4
    #: The real children's homes this authority uses (``placements.synth.market``), or None to draw them.
    market: tuple[RealHome, ...] | None = None

    def district_codes(self) -> tuple[str, ...]:
        return districts(self.la_code)

    def all_las(self) -> tuple[str, ...]:
        mixes = (self.home, self.in_house, self.ifa, self.homes, self.supported)
        return tuple(sorted({la for mix in mixes for group, _ in mix for la in group} | set(self.district_codes())))

    def starts(self) -> float:
        return self.starts_per_year if self.starts_per_year is not None else STARTS_PER_CHILD * self.n_children

    def ceases(self) -> float:
        return self.ceases_per_year if self.ceases_per_year is not None else CEASES_PER_CHILD * self.n_children


def _at_least(x: float, lo: int, key: str = "") -> int:
    """``x`` rounded up with chance its fraction (a fixed chance per authority, from its code, so the
    profile does not depend on the seed and sums over many small authorities are unbiased)."""
    u = (zlib.crc32(f"{key}:{x:.6f}".encode()) % 10_000) / 10_000 if key else 0.5
    return max(lo, int(np.floor(x) + (u < x - np.floor(x))))


def scaled(la_code: str, n: int, home: LaMix, in_house: LaMix, ifa: LaMix, homes: LaMix, supported: LaMix) -> Profile:
    """An authority of ``n`` children with homes in Nottingham's proportions (per 650 children:
    100 in-house and 160 IFA households, 44 children's homes, 15 supported settings)."""
    r = n / 650
    return Profile(
        la_code=la_code,
        n_children=n,
        n_needing=_at_least(40 * r, 2),
        n_emergency=(_at_least(6 * r, 0), _at_least(10 * r, 1)),
        n_needing_sibling_groups=(_at_least(4 * r, 0), _at_least(6 * r, 1)),
        home=home,
        n_in_house=_at_least(100 * r, 2),
        n_ifa=_at_least(160 * r, 3),
        n_parent_and_child=_at_least(4 * r, 0, la_code + "p"),
        n_kinship_needing=_at_least(2 * r, 0),
        n_homes=_at_least(44 * r, 3, la_code),
        n_disability_homes=_at_least(4 * r, 0, la_code + "d"),
        n_solo_homes=_at_least(6 * r, 0, la_code + "s"),
        n_supported=_at_least(15 * r, 2),
        in_house=in_house,
        ifa=ifa,
        homes=homes,
        supported=supported,
    )


NOTTINGHAM_PROFILE = Profile(
    la_code=NOTTINGHAM[0],
    n_children=650,
    n_needing=40,
    n_emergency=(6, 10),
    n_needing_sibling_groups=(4, 6),
    home=((NOTTINGHAM, 0.85), (NOTTINGHAMSHIRE, 0.15)),
    n_in_house=100,
    n_ifa=160,
    n_parent_and_child=4,
    n_kinship_needing=2,
    n_homes=44,
    n_disability_homes=4,
    n_solo_homes=6,
    n_supported=15,
    in_house=((NOTTINGHAM, 0.45), (NOTTINGHAMSHIRE, 0.55)),
    ifa=(
        (NOTTINGHAM, 0.15),
        (NOTTINGHAMSHIRE, 0.33),
        (DERBY, 0.12),
        (DERBYSHIRE, 0.20),
        (LEICESTER, 0.10),
        (FURTHER_AWAY, 0.10),
    ),
    homes=(
        (NOTTINGHAM, 0.15),
        (NOTTINGHAMSHIRE, 0.25),
        (DERBY + DERBYSHIRE, 0.20),
        (LEICESTER + LEICESTERSHIRE, 0.10),
        (FURTHER_AWAY, 0.30),
    ),
    supported=((NOTTINGHAM, 0.45), (NOTTINGHAMSHIRE, 0.30), (DERBY, 0.25)),
    out_of_area=0.61,  # DfE CLA 2024, Nottingham
    search_miles=(30.0, 60.0, 20.0),  # a small city: many homes are beyond its boundary
    kinship_away=0.7,
    starts_per_year=215.0,  # DfE CLA 2024, Nottingham: year to 31 March 2024
    ceases_per_year=264.0,
)

#: The Foster for East Midlands councils: 3,314 children together (domain.md). The split between
#: them is an assumption in proportion to their populations (Nottingham as above).
REGION_SIZES = {"E06000015": 560, "E10000007": 1_020, "E06000018": 650, "E10000024": 1_084}


def _region() -> tuple[Profile, ...]:
    derby = scaled(
        "E06000015",
        REGION_SIZES["E06000015"],
        home=((DERBY, 0.85), (DERBYSHIRE, 0.15)),
        in_house=((DERBY, 0.6), (DERBYSHIRE, 0.4)),
        ifa=((DERBY, 0.15), (DERBYSHIRE, 0.45), (NOTTINGHAM, 0.1), (NOTTINGHAMSHIRE, 0.2), (LEICESTER, 0.1)),
        homes=((DERBY, 0.15), (DERBYSHIRE, 0.30), (NOTTINGHAM + NOTTINGHAMSHIRE, 0.15), (LEICESTERSHIRE, 0.1),
               (FURTHER_AWAY, 0.30)),
        supported=((DERBY, 0.6), (DERBYSHIRE, 0.25), (NOTTINGHAM, 0.15)),
    )  # fmt: skip
    derbyshire = scaled(
        "E10000007",
        REGION_SIZES["E10000007"],
        home=((DERBYSHIRE, 1.0),),
        in_house=((DERBYSHIRE, 0.6), (DERBY, 0.4)),
        ifa=((DERBYSHIRE, 0.35), (DERBY, 0.15), (NOTTINGHAMSHIRE, 0.25), (FURTHER_AWAY, 0.25)),
        homes=((DERBYSHIRE, 0.30), (DERBY, 0.1), (NOTTINGHAMSHIRE, 0.15), (FURTHER_AWAY, 0.45)),
        supported=((DERBYSHIRE, 0.7), (DERBY, 0.3)),
    )
    notts = scaled(
        "E10000024",
        REGION_SIZES["E10000024"],
        home=((NOTTINGHAMSHIRE, 1.0),),
        in_house=((NOTTINGHAMSHIRE, 0.6), (NOTTINGHAM, 0.4)),
        ifa=((NOTTINGHAMSHIRE, 0.35), (NOTTINGHAM, 0.2), (DERBYSHIRE, 0.2), (FURTHER_AWAY, 0.25)),
        homes=((NOTTINGHAMSHIRE, 0.30), (NOTTINGHAM, 0.1), (DERBYSHIRE, 0.15), (FURTHER_AWAY, 0.45)),
        supported=((NOTTINGHAMSHIRE, 0.7), (NOTTINGHAM, 0.3)),
    )
    return (derby, derbyshire, NOTTINGHAM_PROFILE, notts)


#: England: DfE CLA 2024 looked-after children; the two authorities with almost no children
#: (Isles of Scilly, City of London) are left out.
ENGLAND_CHILDREN = 83_600
ENGLAND_LEFT_OUT = ("E06000053", "E09000001")
ENGLAND_AVERAGE_LA = "E08000026"  # Coventry's geography, at national rates
ENGLAND_AVERAGE_CHILDREN = 550
#: How the homes an authority uses spread over its own area and the authorities around it
#: (ring 1: the 4 nearest by centroid; ring 2: the next 8).
_RINGS = {
    "home": (0.85, 0.15, 0.0),
    "in_house": (0.70, 0.30, 0.0),
    "ifa": (0.35, 0.50, 0.15),
    "homes": (0.15, 0.30, 0.55),
    "supported": (0.65, 0.35, 0.0),
}


def england_authorities(geo: Geography) -> tuple[str, ...]:
    """Every English children's services authority the directory can place (upper tier)."""
    counted = set(d for ds in COUNTY_DISTRICTS.values() for d in ds)
    lower = [la for la in geo.las() if la[:3] in ("E06", "E08", "E09") and la not in ENGLAND_LEFT_OUT]
    left = sorted(la for la in geo.las() if la.startswith("E07") and la not in counted)
    if left:
        raise ValueError(f"districts of no county in COUNTY_DISTRICTS: {left}")
    return tuple(sorted(lower + list(COUNTY_DISTRICTS)))


def _ring_profile(geo: Geography, la: str, n: int, centroids: dict[str, tuple[float, float]]) -> Profile:
    e, nn = centroids[la]
    others = sorted((np.hypot(x - e, y - nn), code) for code, (x, y) in centroids.items() if code != la)
    ring1 = tuple(d for _, code in others[:4] for d in districts(code))
    ring2 = tuple(d for _, code in others[4:12] for d in districts(code))
    own = districts(la)

    def mix(kind: str) -> LaMix:
        return tuple((g, w) for g, w in zip((own, ring1, ring2), _RINGS[kind], strict=True) if w > 0)

    return scaled(la, n, mix("home"), mix("in_house"), mix("ifa"), mix("homes"), mix("supported"))


def _centroids(geo: Geography, las: tuple[str, ...]) -> dict[str, tuple[float, float]]:
    return {la: geo.centroid(districts(la)) for la in las}


def _england() -> tuple[Profile, ...]:
    geo = england()
    las = england_authorities(geo)
    size = np.array([len(geo.group(districts(la))) for la in las], dtype=float)
    # Rates of children in care per head vary between authorities (DfE: 20 to 200 per 10,000):
    # a fixed draw, so the profile is the same whatever the seed.
    size *= np.random.default_rng(2024).lognormal(0.0, 0.35, len(las))
    raw = size / size.sum() * ENGLAND_CHILDREN
    counts = np.floor(raw).astype(int)
    counts[np.argsort(-(raw - counts), kind="stable")[: ENGLAND_CHILDREN - counts.sum()]] += 1
    centroids = _centroids(geo, las)
    return tuple(_ring_profile(geo, la, int(k), centroids) for la, k in zip(las, counts, strict=True))


def _england_average() -> tuple[Profile, ...]:
    geo = england()
    centroids = _centroids(geo, england_authorities(geo))
    # A metropolitan district's neighbours are close: its team looks further to match England's
    # distances (22% over 20 miles).
    prof = _ring_profile(geo, ENGLAND_AVERAGE_LA, ENGLAND_AVERAGE_CHILDREN, centroids)
    return (replace(prof, search_miles=(30.0, 80.0, 15.0), kinship_away=0.5),)


#: Profiles whose children's homes are the real ones of Ofsted's register (``placements.synth.market``).
#: Nottingham's are not (yet): its homes make the demo, whose figures the docs and the proofs quote.
REAL_MARKET = ("region", "england")


@lru_cache(maxsize=8)
def authorities(profile: str, scale: float = 1.0) -> tuple[tuple[Profile, ...], Geography]:
    """The authorities of a named profile (each scaled by ``scale``) and the geography they share."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose from {sorted(PROFILES)}")
    if profile == "nottingham":
        profs: tuple[Profile, ...] = (NOTTINGHAM_PROFILE,)
    elif profile == "region":
        profs = _region()
    elif profile == "england":
        profs = _england()
    else:
        profs = _england_average()
    if scale != 1.0:
        profs = tuple(_rescale(p, scale) for p in profs)
    if profile in ("nottingham", "region"):
        las = tuple(sorted({la for p in profs for la in p.all_las()}))
        geo = geography(las, EAST_MIDLANDS_LETTERS)
    else:
        geo = england()
    if profile in REAL_MARKET:
        from placements.synth.market import allocate

        homes = allocate(profs, geo, complete=profile == "england" and scale == 1.0)
        profs = tuple(replace(p, market=homes[p.la_code]) for p in profs)
    return profs, geo


def _rescale(p: Profile, scale: float) -> Profile:
    n = max(20, int(round(p.n_children * scale)))
    q = scaled(p.la_code, n, p.home, p.in_house, p.ifa, p.homes, p.supported)
    starts = None if p.starts_per_year is None else p.starts_per_year * n / p.n_children
    ceases = None if p.ceases_per_year is None else p.ceases_per_year * n / p.n_children
    return replace(
        q,
        out_of_area=p.out_of_area,
        starts_per_year=starts,
        ceases_per_year=ceases,
        search_miles=p.search_miles,
        kinship_away=p.kinship_away,
    )
