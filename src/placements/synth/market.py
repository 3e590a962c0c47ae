"""The real market of children's homes, for synthetic authorities: Ofsted's register, each home given
to at most one synthetic authority.

``ofsted_homes.csv`` beside this module is derived from Ofsted's provider-level table as at 31 March
2023 ("Children's social care data in England 2023", Open Government Licence v3.0) by ``derive``:
one row per children's home (provision type "Children's home", either spelling; secure homes and
residential special schools are left out: the case folder has no setting for them), with its URN,
local authority (ONS code), places, sector and latest overall judgement. 2,821 rows, about 90 kB;
nothing else of the table is kept.

Which authority uses which home (``allocate``): under the generator's own model an authority ``A``
expects ``E_A(X) = n_homes(A) x w_A(group of X) x share of that group's postcodes in X`` of its
children's homes in authority ``X``. Each real home in ``X`` goes to ``A`` with probability
``E_A(X) / max(R(X), sum over A of E_A(X))``, where ``R(X)`` is the number of real homes in ``X``,
and to no synthetic authority otherwise (other authorities' children live there). Where the real
supply is ample an authority keeps about the number of homes it had; where it is scarce the real
count caps it. For ``england`` every home is used: ``A`` gets it with probability
``E_A(X) / sum of E_A(X)``, so England holds the register's 2,821 homes exactly. The draw is fixed
(seeded by the URN), so a profile's homes do not depend on the seed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from placements.areas import upper_tier

MARKET_FILE = Path(__file__).with_name("ofsted_homes.csv")
SOURCE = "Ofsted, Children's social care data in England 2023, provider level at 31 March 2023 (OGL v3)"
COLUMNS = ("urn", "la_code", "places", "sector", "rating")


def derive(published: Path) -> pd.DataFrame:
    """The children's homes of Ofsted's provider-level table, as ``ofsted_homes.csv`` holds them."""
    from placements.io.ofsted import read_register

    homes = read_register(published).homes
    homes = homes[homes["provision"] == "childrens_home"]
    out = pd.DataFrame(
        {
            "urn": homes["urn"].astype(str),
            "la_code": homes["la_code"].astype(str),
            "places": homes["places"].astype(int),
            "sector": homes["sector"].astype(str),
            "rating": homes["rating"].fillna("").astype(str),
        }
    )
    return out.sort_values("urn", kind="stable").reset_index(drop=True)


@lru_cache(maxsize=1)
def market() -> pd.DataFrame:
    return pd.read_csv(MARKET_FILE, dtype={"urn": str, "la_code": str, "sector": str, "rating": str},
                       keep_default_na=False)  # fmt: skip


@dataclass(frozen=True)
class RealHome:
    urn: str
    la_code: str  # upper tier, as the register names it
    places: int
    sector: str
    rating: str  # OfstedRating value or ""


def _u(urn: str, salt: str) -> float:
    return int.from_bytes(hashlib.sha256(f"{salt}:{urn}".encode()).digest()[:8], "big") / 2**64


def allocate(profiles: tuple[Any, ...], geo: Any, complete: bool = False) -> dict[str, tuple[RealHome, ...]]:
    """Authority code -> the real homes it uses (see the module docstring), in URN order.

    ``complete``: the profiles are all of England, so every real home is used by one of them (the
    probabilities are ``E_A(X) / sum of E_A(X)``, with no share left to other authorities).
    """
    table = market()
    homes_by_la: dict[str, list[RealHome]] = {}
    for r in table.itertuples(index=False):
        homes_by_la.setdefault(r.la_code, []).append(RealHome(r.urn, r.la_code, int(r.places), r.sector, r.rating))
    from placements.io.ofsted_authorities import DIRECTORY_CODES

    # An authority the register names that the directory now codes as others (Cumbria): its homes are
    # wanted wherever its successors are.
    register_code = {d: old for old, new in DIRECTORY_CODES.items() for d in new}
    # Expected homes of each authority in each upper-tier authority X, under the generator's own model.
    expected: dict[str, dict[str, float]] = {}
    for p in profiles:
        total_w = sum(w for _, w in p.homes)
        for group, w in p.homes:
            sizes: dict[str, int] = {}
            for d in group:
                x = register_code.get(upper_tier(d) or d, upper_tier(d) or d)
                try:
                    sizes[x] = sizes.get(x, 0) + len(geo.group((d,)))
                except ValueError:  # a district with no postcode in this geography
                    continue
            n = sum(sizes.values())
            for x, k in sizes.items():
                expected.setdefault(x, {})
                expected[x][p.la_code] = expected[x].get(p.la_code, 0.0) + p.n_homes * (w / total_w) * k / n
    out: dict[str, list[RealHome]] = {p.la_code: [] for p in profiles}
    for x, wants in sorted(expected.items()):
        real = homes_by_la.get(x, [])
        if not real:
            continue
        scale = sum(wants.values()) if complete else max(len(real), sum(wants.values()))
        codes = sorted(wants)
        cum = np.cumsum([wants[c] / scale for c in codes])
        for h in real:
            u = _u(h.urn, "market")
            k = int(np.searchsorted(cum, u, side="right"))
            if k < len(codes):
                out[codes[k]].append(h)
    return {code: tuple(sorted(v, key=lambda h: h.urn)) for code, v in out.items()}
