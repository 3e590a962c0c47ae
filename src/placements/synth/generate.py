"""A synthetic authority (or several) as files: the case folder, its SSDA903 history, the ground truth.

``generate(profile, seed, as_of)`` returns ``{relative path: text}``:

- ``children.csv``, ``places.csv``, ``policy.toml``: the case folder (``docs/case-folder.md``); a
  profile of several authorities is one folder, each child's authority in ``local_authority``;
- ``ssda903/*.csv``: five years of the DfE return for the same children (``history.py``);
- ``ground_truth.json``: what the generator planted, per conflict rule (``groundtruth.py``);
- ``synth.json``: profile, seed, date and authorities, which ``synth --check`` reads.

Each authority draws from its own stream, ``numpy.random.default_rng([seed, k])`` (a single
authority: ``default_rng(seed)``), and its history from another, ``default_rng([seed, k, 903])``.
So authorities are independent: with many of them (England) they are generated in two worker
processes, and the files are the same bytes whichever worker made which authority.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from placements.areas import districts
from placements.io.ssda903.write import table_csv
from placements.parallel import parallel_map
from placements.synth.authority import CHILD_COLUMNS, MARKET_COLUMNS, PLACE_COLUMNS, build_authority
from placements.synth.groundtruth import ground_truth, planted
from placements.synth.history import authority_history, history_tables
from placements.synth.profiles import PROFILES, authorities

CASE_FILES = ("children.csv", "places.csv", "policy.toml")
HISTORY_DIR = "ssda903"
#: Progress callback: (authorities done, authorities in all).
Progress = Callable[[int, int], None]
#: Profiles with at least this many authorities are generated in worker processes.
PARALLEL_FROM = 20


@dataclass
class Part:
    """What one authority contributes to the files."""

    child_rows: list[list[str]]
    place_rows: list[list[str]]
    history: dict[str, list[list[object]]]
    planted: dict[str, list[str]]
    meta: dict[str, object]


def _csv(header: list[str], rows: list[list[str]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def _part(profile: str, k: int, seed: int, as_of: dt.date, scale: float, history: bool = True) -> Part:
    """Authority ``k`` of ``profile``: its rows, history and planted conflicts."""
    profs, geo = authorities(profile, scale)
    prof = profs[k]
    single = len(profs) == 1
    rng = np.random.default_rng(seed) if single else np.random.default_rng([seed, k])
    prefix = "" if single else f"{prof.la_code}-"
    a = build_authority(prof, geo, rng, as_of, prefix=prefix, with_la=not single)
    rows = authority_history(a, np.random.default_rng([seed, k, 903])) if history else {}
    meta = {
        "la_code": prof.la_code,
        "districts": list(districts(prof.la_code)),
        "children": prof.n_children,
        "starts_per_year": round(prof.starts(), 1),
        "ceases_per_year": round(prof.ceases(), 1),
        "out_of_area": prof.out_of_area,
    }
    return Part(a.child_rows, a.place_rows, rows, planted(a), meta)


def _part_args(args: tuple[str, int, int, dt.date, float, bool]) -> Part:
    return _part(*args)


def build(profile: str, seed: int, as_of: dt.date, scale: float = 1.0, progress: Progress | None = None,
          history: bool = True) -> list[Part]:  # fmt: skip
    """Every authority of ``profile``, generated (in two processes when there are many)."""
    profs, _ = authorities(profile, scale)  # loads the geography once, before any worker starts
    jobs = [(profile, k, seed, as_of, scale, history) for k in range(len(profs))]
    workers = min(2, os.cpu_count() or 1) if len(jobs) >= PARALLEL_FROM else 1
    done = [0]

    def tick(_i: int) -> None:
        done[0] += 1
        if progress:
            progress(done[0], len(jobs))

    # Forked workers share the geography loaded above instead of each reading it again.
    return parallel_map(_part_args, jobs, workers=workers, start="fork", progress=tick)


def case_folder_files(profile: str, seed: int, as_of: dt.date, parts: list[Part]) -> dict[str, str]:
    """children.csv, places.csv and policy.toml of the authorities together, rows sorted by id."""
    single = len(parts) == 1
    child_cols = CHILD_COLUMNS + ([] if single else ["local_authority"])
    child_rows = sorted((r for p in parts for r in p.child_rows), key=lambda r: r[0])
    place_rows = sorted((r for p in parts for r in p.place_rows), key=lambda r: r[0])
    policy = (
        f"# Synthetic authority: profile {profile!r}, seed {seed}. No real child's data.\n"
        "# Everything not set here takes the defaults documented in placements.policy.\n"
        f"as_of = {as_of.isoformat()}\n"
    )
    if single:
        policy += f'la_code = "{parts[0].meta["la_code"]}"\n'
    else:
        policy += "# Several authorities: each child's own is in children.csv's local_authority column.\n"
    return {
        "children.csv": _csv(child_cols, child_rows),
        "places.csv": _csv(
            PLACE_COLUMNS + (MARKET_COLUMNS if place_rows and len(place_rows[0]) > len(PLACE_COLUMNS) else []),
            place_rows,
        ),
        "policy.toml": policy,
    }


def manifest(profile: str, seed: int, as_of: dt.date, scale: float, parts: list[Part]) -> str:
    """synth.json: what was generated, for ``synth --check``."""
    data = {
        "profile": profile,
        "seed": seed,
        "as_of": as_of.isoformat(),
        "scale": scale,
        "authorities": [p.meta for p in parts],
    }
    return json.dumps(data, indent=2) + "\n"


def generate(
    profile: str,
    seed: int,
    as_of: dt.date,
    scale: float = 1.0,
    progress: Progress | None = None,
    ssda903_format: str = "csv",
) -> dict[str, str]:
    """Every file of a synthetic authority (see the module docstring), by relative path.

    ``ssda903_format="xml"`` writes the history as one DfE ``EXPSSDA903`` file (``ssda903/ssda903.xml``)
    instead of one CSV per table; the two read back as the same tables.
    """
    from placements.io.ssda903.xml import tables_xml

    if ssda903_format not in ("csv", "xml"):
        raise ValueError(f"unknown SSDA903 format {ssda903_format!r}; choose csv or xml")

    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose from {sorted(PROFILES)}")
    parts = build(profile, seed, as_of, scale, progress)
    files = case_folder_files(profile, seed, as_of, parts)
    tables = history_tables([p.history for p in parts])
    if ssda903_format == "xml":
        files[f"{HISTORY_DIR}/ssda903.xml"] = tables_xml(tables)
    else:
        for name, frame in tables.items():
            files[f"{HISTORY_DIR}/{name}.csv"] = table_csv(name, frame)
    files["ground_truth.json"] = (
        json.dumps(ground_truth([p.planted for p in parts], as_of), indent=2, sort_keys=True) + "\n"
    )
    files["synth.json"] = manifest(profile, seed, as_of, scale, parts)
    return files


def generate_case_folder(profile: str, seed: int, as_of: dt.date, scale: float = 1.0) -> dict[str, str]:
    """Only the case folder (children.csv, places.csv, policy.toml) of ``generate``."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose from {sorted(PROFILES)}")
    return case_folder_files(profile, seed, as_of, build(profile, seed, as_of, scale, history=False))
