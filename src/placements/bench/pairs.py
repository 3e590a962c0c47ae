"""The admissible pairs a baseline works on, read from the engine's own eligibility (read-only).

Why one module: the engine's eligibility is being made faster; every baseline reaches it through
here, so a change of its interface is mended in one place. The room a baseline may use per home is
the engine's ``limit``: the new children a home can take when they are not one sibling group alone
in it (the fostering limit of three for foster homes without an exemption, else the capacity).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from placements.codes import USUAL_FOSTERING_LIMIT
from placements.eligibility import Eligibility, make_scope
from placements.instance import Instance
from placements.policy import Policy


@dataclass(frozen=True)
class Pairs:
    elig: Eligibility
    row: np.ndarray  # scope row per admissible pair
    place: np.ndarray  # place index per admissible pair
    penalty: np.ndarray  # the engine's score penalty of the pair (no sibling terms)
    emergency: np.ndarray  # per row
    room: np.ndarray  # per place: children a baseline may put there


def admissible_pairs(instance: Instance, policy: Policy, whole_cohort: bool) -> Pairs:
    elig = Eligibility(instance, policy, make_scope(instance, whole_cohort), policy.as_of_date())
    frame = elig.pairs
    capacity, others = elig.scope.capacity, elig.scope.others
    room = np.where(
        elig.fostering_limit_applies, np.minimum(capacity, np.maximum(USUAL_FOSTERING_LIMIT - others, 0)), capacity
    )
    return Pairs(
        elig=elig,
        row=frame["row"].to_numpy(dtype=np.int64),
        place=frame["place"].to_numpy(dtype=np.int64),
        penalty=frame["penalty"].to_numpy(dtype=np.int64),
        emergency=elig.emergency(),
        room=room.astype(np.int64),
    )
