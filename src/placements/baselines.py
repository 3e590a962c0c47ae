"""Baselines: the way matches are made today, measured by the same code as the optimiser.

``greedy(instance, policy, order="arrival")`` is today's practice, one child at a time in referral
order; ``order="hardest"`` takes the children with the fewest admissible homes first, a fairer and
stronger baseline. The steps are listed once, in ``placements.model.greedy``.
"""

from __future__ import annotations

import time
from typing import Literal

from placements.eligibility import Eligibility, make_scope
from placements.instance import Instance
from placements.model.greedy import greedy_rows
from placements.policy import Policy
from placements.result import MatchResult, build_result, heuristic_stats


def greedy(
    instance: Instance,
    policy: Policy | None = None,
    whole_cohort: bool = False,
    order: Literal["arrival", "hardest"] = "arrival",
) -> MatchResult:
    """Today's practice (``arrival``) or its stronger variant (``hardest``), as a MatchResult."""
    policy = policy or Policy()
    t0 = time.perf_counter()
    elig = Eligibility(instance, policy, make_scope(instance, whole_cohort), policy.as_of_date())
    # Today's practice leaves a settled child where they live: protected children stay (the stability rule).
    home_of_row = greedy_rows(elig, order, stay=bool(elig.protected.any()))
    return build_result(elig, home_of_row, heuristic_stats(f"greedy-{order}"), t0)
