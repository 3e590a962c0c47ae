"""Min-cost flow without sibling groups: the speed floor, and what siblings cost.

Source -> child (1) -> admissible home (1, cost = the pair's penalty) -> sink (the home's room).
OR-Tools' ``solve_max_flow_with_min_cost`` places the most children, then, among those, prefers
emergency children (a bonus larger than any total penalty), then the lowest total penalty. It knows
nothing of sibling groups (nor of children who must live without others), so its answer may split
groups and break rules: the validator's findings are reported beside it, never hidden.
"""

from __future__ import annotations

import time

import numpy as np
from ortools.graph.python import min_cost_flow

from placements.bench.pairs import Pairs


def flow_rows(pairs: Pairs) -> tuple[dict[int, int], float, float]:
    """Row -> place index; build and solve seconds."""
    t0 = time.perf_counter()
    n = len(pairs.emergency)
    m = len(pairs.room)
    source, sink = n + m, n + m + 1
    bonus = int(pairs.penalty.max(initial=0)) * n + 1
    cost = pairs.penalty - bonus * pairs.emergency[pairs.row].astype(np.int64)
    starts = np.concatenate([np.full(n, source), pairs.row, n + np.arange(m)]).astype(np.int32)
    ends = np.concatenate([np.arange(n), n + pairs.place, np.full(m, sink)]).astype(np.int32)
    caps = np.concatenate([np.ones(n), np.ones(len(pairs.row)), pairs.room]).astype(np.int64)
    costs = np.concatenate([np.zeros(n), cost, np.zeros(m)]).astype(np.int64)
    smcf = min_cost_flow.SimpleMinCostFlow()
    arcs = smcf.add_arcs_with_capacity_and_unit_cost(starts, ends, caps, costs)
    smcf.set_nodes_supplies(np.array([source, sink], dtype=np.int32), np.array([n, -n], dtype=np.int64))
    t1 = time.perf_counter()
    status = smcf.solve_max_flow_with_min_cost()
    t2 = time.perf_counter()
    if status != smcf.OPTIMAL:
        raise RuntimeError(f"min-cost flow ended with status {status}")
    pair_arcs = arcs[n : n + len(pairs.row)]
    used = smcf.flows(pair_arcs) > 0
    home = {int(r): int(p) for r, p in zip(pairs.row[used], pairs.place[used], strict=True)}
    return home, t1 - t0, t2 - t1
