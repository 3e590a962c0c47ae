"""Keyed random numbers: the same child or home gets the same draws in every scenario.

Why: a scenario is compared with the baseline run by run (run *k* of each shares its seed). If
every draw came from one sequential generator, one extra recruit in month 2 would shift every later
draw and the two runs would differ by chance as much as by the plan. Here each draw is a pure
function of (seed, run, stream, month, key, counter), hashed with SplitMix64 (Steele, Lea and
Flood 2014), so a child who is in both runs leaves care or moves in both, or in neither, unless
the scenario itself changes their chance. Sequential draws (Poisson counts of entrants and
recruits) use ``numpy.random.default_rng([seed, run, stream, month])``, a stream of their own.
"""

from __future__ import annotations

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)

# Streams: one per kind of event, so adding draws of one kind never moves another.
CARER_AGE, CARER_LEAVES, JOINERS, CAMPAIGNS, OTHER_LAS, VACANCIES_TAKEN, CARE, ENTRANTS, PLACES = range(9)


def _mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser, elementwise on uint64 (wrapping arithmetic)."""
    with np.errstate(over="ignore"):
        z = x + _GOLDEN
        z = (z ^ (z >> _S30)) * _M1
        z = (z ^ (z >> _S27)) * _M2
        return z ^ (z >> _S31)


def _base(*parts: int) -> np.ndarray:
    h = np.zeros(1, dtype=np.uint64)
    for p in parts:
        h = _mix(h ^ np.array([p], dtype=np.uint64))
    return h


def keyed_uniform(parts: tuple[int, ...], keys: np.ndarray, n: int) -> np.ndarray:
    """Uniforms in [0, 1), shape (len(keys), n): row i depends only on ``parts`` and ``keys[i]``."""
    keys = np.asarray(keys, dtype=np.int64).astype(np.uint64)
    h = _mix(_base(*parts) ^ _mix(keys))
    with np.errstate(over="ignore"):
        z = _mix(h[:, None] + np.arange(1, n + 1, dtype=np.uint64)[None, :] * _GOLDEN)
    return (z >> _S11).astype(np.float64) * (1.0 / 9007199254740992.0)


def stream(parts: tuple[int, ...]) -> np.random.Generator:
    """A sequential generator of its own for (seed, run, stream, month, ...)."""
    return np.random.default_rng(list(parts))
