"""A stable matching (hospitals/residents), the textbook alternative to an optimiser.

Children are residents, homes are hospitals with the engine's ``room`` as capacity. A child ranks
its admissible homes by the engine's penalty (lowest first); a home ranks the children who may live
there emergency first, then by the same penalty. The resident-optimal stable matching comes from
the ``matching`` package (benchmark-only dependency), its ``algorithms.hospital_resident``. Like min-cost flow it cannot keep sibling
groups together or keep a child who must live alone alone: the validator's findings are reported.
Ties are broken by place index and row, so the answer is deterministic.
"""

from __future__ import annotations

import time

import numpy as np

from placements.bench.pairs import Pairs


def stable_rows(pairs: Pairs) -> tuple[dict[int, int], float, float]:
    """Row -> place index; build and solve seconds."""
    from matching.algorithms import hospital_resident
    from matching.players import Hospital, Player

    t0 = time.perf_counter()
    keep = pairs.room[pairs.place] > 0
    row, place, pen = pairs.row[keep], pairs.place[keep], pairs.penalty[keep]
    by_child = np.lexsort((place, pen, row))  # per row, by penalty, then place
    resident: dict[int, list[int]] = {}
    for r, p in zip(row[by_child].tolist(), place[by_child].tolist(), strict=True):
        resident.setdefault(r, []).append(p)
    not_emergency = ~pairs.emergency[row]
    by_home = np.lexsort((row, pen, not_emergency, place))  # per place, emergency first, by penalty
    hospital: dict[int, list[int]] = {}
    for p, r in zip(place[by_home].tolist(), row[by_home].tolist(), strict=True):
        hospital.setdefault(p, []).append(r)
    if not resident:
        return {}, time.perf_counter() - t0, 0.0
    # Players are built here and handed to the package's algorithm directly: its game class deep-copies
    # them first, which recurses past Python's limit at a city's size.
    children = {r: Player(r) for r in resident}
    homes = {p: Hospital(p, int(pairs.room[p])) for p in hospital}
    for r, prefs in resident.items():
        children[r].set_prefs([homes[p] for p in prefs])
    for p, prefs in hospital.items():
        homes[p].set_prefs([children[r] for r in prefs])
    t1 = time.perf_counter()
    solution = hospital_resident(list(children.values()), list(homes.values()), optimal="resident")
    t2 = time.perf_counter()
    home = {int(r.name): int(h.name) for h, rs in solution.items() for r in rs}
    return home, t1 - t0, t2 - t1
