"""What every back end returns."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from placements.model.patterns import Patterns


@dataclass(frozen=True)
class StageStats:
    name: str  # "placed" (tiers 1-2), "homes" (tier 3), "quality" (tier 4); CP-SAT: "tiers" (1-3)
    status: str
    objective: float
    bound: float
    build_seconds: float
    solve_seconds: float


@dataclass(frozen=True)
class Solution:
    chosen: np.ndarray  # indices of chosen patterns
    status: str  # OPTIMAL when every tier is proven, else FEASIBLE
    tiers_optimal: bool  # tiers (1)-(3) proven
    emergency_placed: int
    placed: int
    extra_homes: int
    penalty: int
    penalty_bound: int
    stages: tuple[StageStats, ...]
    backend: str
    bound_scope: str = "every admissible pair"  # which answers the bound and the proofs cover
    proven_at: dict[str, float] | None = None  # perf_counter time of each proof ("tiers_1_2", "tier_3", "score")
    tiers_bound: tuple[int, int] | None = None  # (emergency, placed) no lawful answer exceeds (``flows.tier_bound``)


def extra_homes(pats: Patterns, chosen: np.ndarray) -> int:
    homes = Counter(int(pats.group[i]) for i in chosen)
    return sum(h - 1 for h in homes.values() if h > 1)


def make_solution(
    pats: Patterns,
    chosen: np.ndarray,
    tiers_optimal: bool,
    quality_optimal: bool,
    bound: int,
    stages: tuple[StageStats, ...],
    backend: str,
) -> Solution:
    chosen = np.sort(np.asarray(chosen, dtype=np.int64))
    return Solution(
        chosen=chosen,
        status="OPTIMAL" if tiers_optimal and quality_optimal else "FEASIBLE",
        tiers_optimal=tiers_optimal,
        emergency_placed=int(pats.emergency[chosen].sum()),
        placed=int(pats.size[chosen].sum()),
        extra_homes=extra_homes(pats, chosen),
        penalty=int(pats.penalty[chosen].sum()),
        penalty_bound=bound,
        stages=stages,
        backend=backend,
    )


def tier_weights(n_rows: int) -> tuple[int, int, int]:
    """Exact lexicographic weights of (emergency placed, placed, -extra homes) for n children.

    Placed and extra homes never exceed n, so one unit of a higher tier outweighs any change below.
    """
    n1 = n_rows + 1
    return n1 * n1, n1, 1
