"""Which lower-tier districts make up each county council, for "in area".

Children's services belong to upper-tier authorities: a county council (E10) is responsible for
children whose homes the ONS directory codes by district (E07). A home in Ashfield is inside
Nottinghamshire's area, though its code is E07000170. Unitary, metropolitan and London authorities
are their own districts.
"""

from __future__ import annotations


def _codes(prefix: str, numbers: list[int] | range) -> tuple[str, ...]:
    return tuple(f"{prefix}{n:06d}" for n in numbers)


#: County councils (E10) and their districts (E07) as the ONS directory codes them in 2024.
COUNTY_DISTRICTS: dict[str, tuple[str, ...]] = {
    "E10000003": _codes("E07", range(8, 13)),  # Cambridgeshire
    "E10000007": _codes("E07", range(32, 40)),  # Derbyshire
    "E10000008": _codes("E07", range(40, 48)),  # Devon
    "E10000011": _codes("E07", range(61, 66)),  # East Sussex
    "E10000012": _codes("E07", range(66, 78)),  # Essex
    "E10000013": _codes("E07", range(78, 84)),  # Gloucestershire
    "E10000014": _codes("E07", range(84, 95)),  # Hampshire
    "E10000015": _codes("E07", [95, 96, 98, 99, 102, 103, 240, 241, 242, 243]),  # Hertfordshire
    "E10000016": _codes("E07", range(105, 117)),  # Kent
    "E10000017": _codes("E07", range(117, 129)),  # Lancashire
    "E10000018": _codes("E07", range(129, 136)),  # Leicestershire
    "E10000019": _codes("E07", range(136, 143)),  # Lincolnshire
    "E10000020": _codes("E07", range(143, 150)),  # Norfolk
    "E10000024": _codes("E07", range(170, 177)),  # Nottinghamshire
    "E10000025": _codes("E07", range(177, 182)),  # Oxfordshire
    "E10000028": _codes("E07", range(192, 200)),  # Staffordshire
    "E10000029": _codes("E07", [200, 202, 203, 244, 245]),  # Suffolk
    "E10000030": _codes("E07", range(207, 218)),  # Surrey
    "E10000031": _codes("E07", range(218, 223)),  # Warwickshire
    "E10000032": _codes("E07", range(223, 230)),  # West Sussex
    "E10000034": _codes("E07", range(234, 240)),  # Worcestershire
}


def districts(la_code: str) -> tuple[str, ...]:
    """The lower-tier codes the directory uses for an authority: a county's districts, else itself."""
    return COUNTY_DISTRICTS.get(la_code, (la_code,))


#: District (E07) -> its county council (E10).
COUNTY_OF: dict[str, str] = {d: county for county, ds in COUNTY_DISTRICTS.items() for d in ds}


def upper_tier(la_code: str | None) -> str | None:
    """The children's-services authority an ONS code belongs to: a district's county, else itself."""
    return None if la_code is None else COUNTY_OF.get(la_code, la_code)
