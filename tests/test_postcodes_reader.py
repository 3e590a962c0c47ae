"""The postcode directory read as arrays (``postcodes._columns``) gives what the general msgpack reader gives.

``_decode`` reads the package's files without a Python object per value; anything laid out otherwise
must be refused (``_Layout``) so that ``_raw`` reads it. Checked on real letters of the installed
directory, on files built to be awkward (unsorted, duplicated, NaN and missing values), and on random
small files.
"""

from __future__ import annotations

import math
from pathlib import Path

import brotli
import msgpack
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from placements.io import postcodes

COLUMNS = ["pcd", "laua", "oseast1m", "osnrth1m"]


def _clear() -> None:
    for cached in (postcodes._raw, postcodes._columns, postcodes._letter_frame, postcodes._sector_frame):
        cached.cache_clear()


@pytest.fixture
def directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """A directory of hand-made letter files (``QLACREF_DATA_DIR``), with the readers' caches cleared."""
    monkeypatch.setenv("QLACREF_DATA_DIR", str(tmp_path))
    _clear()

    def write(letter: str, data: dict[str, list]) -> bytes:
        packed = msgpack.packb({"columns": list(data), "data": data})
        (tmp_path / f"postcodes_{letter}.msgpack.br").write_bytes(brotli.compress(packed))
        return packed

    yield write
    _clear()


def _same_as_raw(letter: str) -> None:
    """``_columns(letter)`` holds ``_raw(letter)``'s values, row for row."""
    cols, raw = postcodes._columns(letter), postcodes._raw(letter)
    rows = np.arange(len(raw["pcd"]))
    assert [p.decode() if isinstance(p, bytes) else p for p in cols.pcd.tolist()] == raw["pcd"]
    assert cols.las(rows) == [str(v) for v in raw["laua"]]
    assert [cols.la(i) for i in rows.tolist()] == [None if v is None else str(v) for v in raw["laua"]]
    assert np.array_equal(cols.east, np.array(raw["oseast1m"], dtype=float), equal_nan=True)
    assert np.array_equal(cols.north, np.array(raw["osnrth1m"], dtype=float), equal_nan=True)


def _scan(postcode_list: list[str]) -> dict[str, tuple[float, float, str | None]]:
    """What ``lookup`` answered for full postcodes before the array reader: a scan of ``_raw``."""
    found: dict[str, tuple[float, float, str | None]] = {}
    for letter in sorted({p[0] for p in postcode_list}):
        raw = postcodes._raw(letter)
        wanted = {postcodes._pcd7(c): c for c in sorted(set(postcode_list)) if c[0] == letter}
        for i, p7 in enumerate(raw["pcd"]):
            code = wanted.get(p7)
            if code is None or code in found:
                continue
            e, n, la = raw["oseast1m"][i], raw["osnrth1m"][i], raw["laua"][i]
            if e is not None and n is not None and not (math.isnan(e) or math.isnan(n)):
                found[code] = (float(e), float(n), None if la is None else str(la))
    return found


def _looked_up(postcode_list: list[str]) -> dict[str, tuple[float, float, str | None]]:
    return {k: (v.easting, v.northing, v.la_code) for k, v in postcodes.lookup(postcode_list).items()}


@pytest.mark.parametrize("letter", ["A", "J", "Z"])
def test_installed_letters_decode_as_msgpack_reads_them(letter: str) -> None:
    path = postcodes._directory_file(letter)
    buf = brotli.decompress(path.read_bytes())
    postcodes._decode(buf)  # the package's own layout is read the fast way, not refused
    _same_as_raw(letter)
    raw = postcodes._raw(letter)
    sample = [p[:4].rstrip() + " " + p[4:] for p in raw["pcd"][:: max(1, len(raw["pcd"]) // 400)]]
    sample += [f"{letter}9 9ZZ", f"{letter}1 0AA"]
    assert _looked_up(sample) == _scan(sample)
    assert list(_looked_up(sample)) == list(_scan(sample))  # found in the directory's order


def test_unsorted_file_with_duplicates_and_gaps(directory) -> None:  # type: ignore[no-untyped-def]
    nan = math.nan
    data = {
        "pcd": ["NG7 2RD", "NG1 1AA", "NG7 2RD", "NG2 3BB", "NG1 1AA", "NG9 9ZZ", "NG3 1AB"],
        "laua": [nan, "E06000018", "E06000019", nan, "E06000020", "E06000018", nan],
        "oseast1m": [nan, 457000.0, 456000.5, 458000.0, 1.0, nan, 459000.0],
        "osnrth1m": [nan, 340000.0, 341000.25, 342000.0, 2.0, 343000.0, 344000.0],
    }
    postcodes._decode(directory("N", data))
    _same_as_raw("N")
    assert postcodes._columns("N").order is not None
    wanted = ["NG7 2RD", "NG1 1AA", "NG2 3BB", "NG9 9ZZ", "NG3 1AB", "NG4 4CC"]
    found = _looked_up(wanted)
    assert found == _scan(wanted)
    assert list(found) == list(_scan(wanted))
    assert found["NG7 2RD"] == (456000.5, 341000.25, "E06000019")  # the first row that has a grid reference
    assert found["NG2 3BB"][2] == "nan"  # a missing authority reads as it always has
    assert "NG9 9ZZ" not in found  # no grid reference: the directory cannot place it


@pytest.mark.parametrize(
    "change",
    [
        {"laua": [None, "E06000018"]},  # nil
        {"laua": ["E06000018", 1.5]},  # a number that is not NaN
        {"pcd": ["NG7 2RD", "NG12 3RD"]},  # strings of different lengths
        {"oseast1m": [457000, 458000.0]},  # an integer
        {"laua": ["", math.nan]},  # an empty string
        {"extra": ["x", "y"]},  # a column the reader does not know
    ],
    ids=["nil-authority", "number-authority", "ragged-postcodes", "integer-easting", "empty-authority", "extra-column"],
)
def test_other_layouts_are_refused_and_read_the_general_way(directory, change: dict[str, list]) -> None:  # type: ignore[no-untyped-def]
    data = {
        "pcd": ["NG7 2RD", "NG1 1AA"],
        "laua": ["E06000018", "E06000019"],
        "oseast1m": [457000.0, 458000.0],
        "osnrth1m": [340000.0, 341000.0],
    }
    data.update(change)
    packed = directory("N", data)
    with pytest.raises(postcodes._Layout):
        postcodes._decode(packed)
    wanted = ["NG7 2RD", "NG1 1AA"]
    assert _looked_up(wanted) == _scan(wanted)
    if "extra" not in change:
        _same_as_raw("N")


def test_a_file_cut_short_is_refused() -> None:
    packed = msgpack.packb(
        {
            "columns": COLUMNS,
            "data": {
                "pcd": ["NG7 2RD"] * 3,
                "laua": ["E06000018", math.nan, "E06000018"],
                "oseast1m": [1.0] * 3,
                "osnrth1m": [2.0] * 3,
            },
        }
    )
    postcodes._decode(packed)
    for cut in range(len(packed)):
        with pytest.raises((ValueError, IndexError)):
            postcodes._decode(packed[:cut])


_POSTCODE = st.text(alphabet="AB1 ", min_size=7, max_size=7)
_NAN_OR_NONE = st.sampled_from([math.nan, None])


@st.composite
def _letter_files(draw: st.DrawFn) -> dict[str, list]:
    n = draw(st.integers(0, 12))
    la_width = draw(st.sampled_from([0, 3, 8, 9, 12]))  # empty, shorter than, as long as, longer than a float record
    la_text = st.text(alphabet="E0123456789", min_size=la_width, max_size=la_width)
    ragged = draw(st.booleans()) and draw(st.booleans())
    pcd = st.text(alphabet="AB1 ", min_size=6, max_size=8) if ragged else _POSTCODE
    la = st.one_of(la_text, st.just(math.nan)) if draw(st.booleans()) else st.one_of(la_text, _NAN_OR_NONE)
    coord = (
        st.one_of(st.floats(allow_nan=True, allow_infinity=False, width=64), st.integers(0, 10))
        if draw(st.booleans())
        else st.one_of(st.floats(min_value=0, max_value=7e5), st.just(math.nan))
    )
    return {
        "pcd": draw(st.lists(pcd, min_size=n, max_size=n)),
        "laua": draw(st.lists(la, min_size=n, max_size=n)),
        "oseast1m": draw(st.lists(coord, min_size=n, max_size=n)),
        "osnrth1m": draw(st.lists(coord, min_size=n, max_size=n)),
    }


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=_letter_files())
def test_random_files_decode_exactly_or_are_refused(data: dict[str, list]) -> None:
    packed = msgpack.packb({"columns": COLUMNS, "data": data})
    try:
        cols = postcodes._decode(packed)
    except (ValueError, IndexError):
        return  # refused: the general reader reads it
    assert [p.decode() for p in cols["pcd"].tolist()] == data["pcd"]
    assert [v.decode() for v in cols["laua"].tolist()] == [str(v) for v in data["laua"]]
    for name in ("oseast1m", "osnrth1m"):
        assert np.array_equal(cols[name], np.array(data[name], dtype=float), equal_nan=True)
