"""Patterns: the columns of the model. One per (sibling group, subset of it, home).

Why patterns rather than one Boolean per (child, home): with a variable per subset the number of
homes a group uses is a plain sum, so "fewest extra homes for split groups" has a strong linear
relaxation and the solver proves it at once, where the child-level model leaves its bound loose
(see ``../shared/reference/performance.md``). Sibling groups rarely exceed five children, and a
home's capacity bounds the subset size, so enumeration stays small.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np

from placements.eligibility import Eligibility


@dataclass(frozen=True)
class Patterns:
    """Array form of the model's columns and the facts the constraints need."""

    group: np.ndarray  # group index per pattern
    place: np.ndarray  # place index per pattern
    size: np.ndarray  # children in the pattern
    emergency: np.ndarray  # emergency children in the pattern
    penalty: np.ndarray  # sum of the members' penalties at this home
    exclusive: np.ndarray  # bool: nothing else may share the home with this pattern
    members: list[tuple[int, ...]]  # scope rows per pattern
    groups: list[tuple[int, ...]]  # scope rows per group
    limit: np.ndarray  # per place: new children allowed alongside non-exclusive patterns
    capacity: np.ndarray  # per place: new children allowed at all

    def __len__(self) -> int:
        return len(self.group)


def group_rows(elig: Eligibility) -> list[tuple[int, ...]]:
    """Sibling groups among the children in scope (singletons are groups of one), in input order."""
    index: dict[str, int] = {}
    groups: list[list[int]] = []
    for r, c in enumerate(elig.kids):
        key = f"g:{c.sibling_group}" if c.sibling_group is not None else f"c:{c.child_id}"
        if key not in index:
            index[key] = len(groups)
            groups.append([])
        groups[index[key]].append(r)
    return [tuple(g) for g in groups]


def build_patterns(elig: Eligibility) -> Patterns:
    pairs = elig.pairs
    penalty = {(int(r), int(p)): int(v) for r, p, v in zip(pairs["row"], pairs["place"], pairs["penalty"], strict=True)}
    emergency = elig.emergency()
    lone = np.array([not c.lives_with_others for c in elig.kids], dtype=bool)
    capacity = elig.scope.capacity
    others = elig.scope.others
    foster_limit = elig.fostering_limit_applies
    # New children allowed at a home when they are not one sibling group alone in it.
    limit = np.where(foster_limit, np.minimum(capacity, np.maximum(3 - others, 0)), capacity)

    by_row: dict[int, list[int]] = {}
    for r, p in zip(pairs["row"].to_numpy(), pairs["place"].to_numpy(), strict=True):
        by_row.setdefault(int(r), []).append(int(p))
    groups = group_rows(elig)

    g_l, p_l, s_l, e_l, pen_l, x_l, m_l = [], [], [], [], [], [], []
    for gi, rows in enumerate(groups):
        homes: dict[int, list[int]] = {}
        for r in rows:
            for p in by_row.get(r, ()):
                homes.setdefault(p, []).append(r)
        for p in sorted(homes):
            able = homes[p]
            # A whole sibling group may exceed the fostering limit only in a home with no other children.
            top = int(capacity[p]) if (others[p] == 0) else int(limit[p])
            for k in range(1, min(len(able), top) + 1):
                for subset in combinations(able, k):
                    is_lone = bool(lone[list(subset)].any())
                    too_many = k > limit[p]  # allowed only as the one group in the home
                    g_l.append(gi)
                    p_l.append(p)
                    s_l.append(k)
                    e_l.append(int(emergency[list(subset)].sum()))
                    pen_l.append(sum(penalty[(r, p)] for r in subset))
                    x_l.append(is_lone or too_many)
                    m_l.append(subset)
    return Patterns(
        group=np.array(g_l, dtype=np.int64),
        place=np.array(p_l, dtype=np.int64),
        size=np.array(s_l, dtype=np.int64),
        emergency=np.array(e_l, dtype=np.int64),
        penalty=np.array(pen_l, dtype=np.int64),
        exclusive=np.array(x_l, dtype=bool),
        members=m_l,
        groups=groups,
        limit=limit.astype(np.int64),
        capacity=capacity.astype(np.int64),
    )
