"""The postcode directory as arrays (``postcodes.directory_letter``) holds what the msgpack library reads.

Each letter is decoded once with ``msgpack`` and kept in an on-disk cache; a warm cache must give
the same arrays as a cold one, and a changed directory file must never be answered from an old
cache. Checked on real letters of the installed directory, on files built to be awkward
(unsorted, duplicated, NaN and missing values), and on random small files.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import brotli
import msgpack
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from placements.io import postcodes

COLUMNS = ["pcd", "laua", "oseast1m", "osnrth1m"]
Writer = Callable[[str, dict[str, list[object]]], None]


def _clear() -> None:
    for cached in (postcodes._raw, postcodes.directory_letter, postcodes._letter_frame, postcodes._sector_frame):
        cached.cache_clear()


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty on-disk cache of decoded letters, with the in-memory caches cleared."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("PLACEMENTS_CACHE_DIR", str(folder))
    _clear()
    yield folder / "postcodes"
    _clear()


@pytest.fixture
def directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache: Path) -> Writer:
    """A directory of hand-made letter files (``QLACREF_DATA_DIR``)."""
    data_dir = tmp_path / "directory"
    data_dir.mkdir()
    monkeypatch.setenv("QLACREF_DATA_DIR", str(data_dir))

    def write(letter: str, data: dict[str, list[object]]) -> None:
        packed = msgpack.packb({"columns": list(data), "data": data})
        path = data_dir / f"postcodes_{letter}.msgpack.br"
        path.write_bytes(brotli.compress(packed))
        _clear()

    return write


def _same_as_raw(letter: str) -> None:
    """``directory_letter(letter)`` holds ``_raw(letter)``'s values, row for row."""
    cols, raw = postcodes.directory_letter(letter), postcodes._raw(letter)
    rows = np.arange(len(raw["pcd"]))
    assert [p.decode() for p in cols.pcd.tolist()] == raw["pcd"]
    assert cols.las(rows) == [str(v) for v in raw["laua"]]
    assert [cols.la(i) for i in rows.tolist()] == [None if v is None else str(v) for v in raw["laua"]]
    for name, got in (("oseast1m", cols.east), ("osnrth1m", cols.north)):
        want = np.array([math.nan if v is None else v for v in raw[name]], dtype=float)
        assert np.array_equal(got, want, equal_nan=True)


def _scan(postcode_list: list[str]) -> dict[str, tuple[float, float, str | None]]:
    """What ``lookup`` must answer for full postcodes: a plain scan of ``_raw``."""
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


@pytest.mark.parametrize("letter", ["J", "Z"])
def test_installed_letters_read_as_msgpack_reads_them(letter: str, cache: Path) -> None:
    _same_as_raw(letter)
    raw = postcodes._raw(letter)
    sample = [p[:4].rstrip() + " " + p[4:] for p in raw["pcd"][:: max(1, len(raw["pcd"]) // 400)]]
    sample += [f"{letter}9 9ZZ", f"{letter}1 0AA"]
    assert _looked_up(sample) == _scan(sample)
    assert list(_looked_up(sample)) == list(_scan(sample))  # found in the directory's order


def test_a_warm_cache_gives_the_cold_answer(cache: Path) -> None:
    cold = postcodes.directory_letter("Z")
    assert len(list(cache.glob("postcodes_Z-*.npz"))) == 1, "the decoded letter is kept on disk"
    _clear()
    warm = postcodes.directory_letter("Z")
    for name in ("pcd", "laua", "laua_none", "east", "north", "located"):
        assert np.array_equal(getattr(cold, name), getattr(warm, name), equal_nan=name in ("east", "north")), name


def test_a_changed_directory_file_is_never_answered_from_the_cache(directory: Writer, cache: Path) -> None:
    directory("N", {"pcd": ["NG7 2RD"], "laua": ["E06000018"], "oseast1m": [1.0], "osnrth1m": [2.0]})
    assert _looked_up(["NG7 2RD"]) == {"NG7 2RD": (1.0, 2.0, "E06000018")}
    path = Path(os.environ["QLACREF_DATA_DIR"]) / "postcodes_N.msgpack.br"
    stamp = path.stat().st_mtime_ns
    directory("N", {"pcd": ["NG7 2RD"], "laua": ["E06000019"], "oseast1m": [3.0], "osnrth1m": [4.0]})
    os.utime(path, ns=(stamp, stamp))  # same size and time: only the bytes differ
    assert _looked_up(["NG7 2RD"]) == {"NG7 2RD": (3.0, 4.0, "E06000019")}


def test_an_unwritable_cache_still_answers(directory: Writer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would go", encoding="utf-8")
    monkeypatch.setenv("PLACEMENTS_CACHE_DIR", str(blocker))
    directory("N", {"pcd": ["NG7 2RD"], "laua": ["E06000018"], "oseast1m": [1.0], "osnrth1m": [2.0]})
    assert _looked_up(["NG7 2RD"]) == {"NG7 2RD": (1.0, 2.0, "E06000018")}


def test_unsorted_file_with_duplicates_and_gaps(directory: Writer) -> None:
    nan = math.nan
    data: dict[str, list[object]] = {
        "pcd": ["NG7 2RD", "NG1 1AA", "NG7 2RD", "NG2 3BB", "NG1 1AA", "NG9 9ZZ", "NG3 1AB"],
        "laua": [nan, "E06000018", "E06000019", nan, "E06000020", "E06000018", nan],
        "oseast1m": [nan, 457000.0, 456000.5, 458000.0, 1.0, nan, 459000.0],
        "osnrth1m": [nan, 340000.0, 341000.25, 342000.0, 2.0, 343000.0, 344000.0],
    }
    directory("N", data)
    _same_as_raw("N")
    assert postcodes.directory_letter("N").order is not None
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
        {"osnrth1m": [None, 341000.0]},  # nil grid reference
    ],
    ids=["nil-authority", "number-authority", "ragged-postcodes", "integer-easting", "empty-authority", "nil-north"],
)
def test_awkward_values_read_as_msgpack_reads_them(directory: Writer, change: dict[str, list[object]]) -> None:
    data: dict[str, list[object]] = {
        "pcd": ["NG7 2RD", "NG1 1AA"],
        "laua": ["E06000018", "E06000019"],
        "oseast1m": [457000.0, 458000.0],
        "osnrth1m": [340000.0, 341000.0],
    }
    data.update(change)
    directory("N", data)
    _same_as_raw("N")
    wanted = ["NG7 2RD", "NG1 1AA"]
    assert _looked_up(wanted) == _scan(wanted)


_POSTCODE = st.text(alphabet="AB1 ", min_size=7, max_size=7)


@st.composite
def _letter_files(draw: st.DrawFn) -> dict[str, list[object]]:
    n = draw(st.integers(0, 12))
    la_width = draw(st.sampled_from([0, 3, 8, 9, 12]))
    la_text = st.text(alphabet="E0123456789", min_size=la_width, max_size=la_width)
    ragged = draw(st.booleans()) and draw(st.booleans())
    pcd = st.text(alphabet="AB1 ", min_size=6, max_size=8) if ragged else _POSTCODE
    la = st.one_of(la_text, st.just(math.nan), st.none())
    coord = st.one_of(st.floats(allow_nan=True, allow_infinity=False, width=64), st.integers(0, 10), st.none())
    return {
        "pcd": draw(st.lists(pcd, min_size=n, max_size=n)),
        "laua": draw(st.lists(la, min_size=n, max_size=n)),
        "oseast1m": draw(st.lists(coord, min_size=n, max_size=n)),
        "osnrth1m": draw(st.lists(coord, min_size=n, max_size=n)),
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=_letter_files())
def test_random_files_read_exactly(directory: Writer, data: dict[str, list[object]]) -> None:
    directory("B", data)
    _same_as_raw("B")
    _clear()
    _same_as_raw("B")  # again, from the on-disk cache
