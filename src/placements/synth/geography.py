"""Where synthetic things are: the live ONS postcodes of England, grouped by authority.

Why one module: every draw of a location (a family home, a foster household, a children's home)
picks a real postcode, and at England's size the grouping must be done once (sorting 1.9 million
postcodes by authority), not once per draw. Postcodes are sorted, so draws do not depend on the
order of the directory's files.

English children's services authorities are unitary authorities (E06), metropolitan districts
(E08), London boroughs (E09) and county councils (E10); the directory knows only the lower tier,
so a county is the set of its districts (E07), listed in ``COUNTY_DISTRICTS``.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from placements.geo import KM_PER_MILE, METRES_PER_KM
from placements.io.postcodes import directory_letter

MILE_M = METRES_PER_KM * KM_PER_MILE  # metres per mile, as in the DfE distance formula

#: Where a kind of thing is: groups of lower-tier authorities with weights. Within a group every
#: live postcode is equally likely, which spreads homes roughly as people are spread.
LaMix = tuple[tuple[tuple[str, ...], float], ...]


@dataclass(frozen=True, eq=False)
class Geography:
    """Live postcodes (sorted) with their grid reference and lower-tier authority."""

    postcode: np.ndarray
    easting: np.ndarray
    northing: np.ndarray
    la: np.ndarray
    _by_la: dict[str, np.ndarray] = field(default_factory=dict)
    _groups: dict[tuple[str, ...], np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        order = np.argsort(self.la, kind="stable")
        codes, starts = np.unique(self.la[order], return_index=True)
        ends = np.append(starts[1:], len(order))
        for code, s, e in zip(codes.tolist(), starts.tolist(), ends.tolist(), strict=True):
            self._by_la[code] = np.sort(order[s:e])

    def las(self) -> tuple[str, ...]:
        return tuple(self._by_la)

    def group(self, las: tuple[str, ...]) -> np.ndarray:
        """Indices of every postcode in the given lower-tier authorities."""
        if las not in self._groups:
            parts = [self._by_la[la] for la in las if la in self._by_la]
            if not parts:
                raise ValueError(f"no postcodes found for {las}")
            self._groups[las] = np.sort(np.concatenate(parts))
        return self._groups[las]

    def draw(self, rng: np.random.Generator, mix: LaMix, n: int) -> np.ndarray:
        """``n`` postcode indices: a group by weight, then any postcode in it."""
        weights = np.array([w for _, w in mix], dtype=float)
        which = rng.choice(len(mix), p=weights / weights.sum(), size=n)
        out = np.empty(n, dtype=np.int64)
        for g, (las, _) in enumerate(mix):
            pool = self.group(las)
            hit = which == g
            out[hit] = pool[rng.integers(0, len(pool), size=int(hit.sum()))]
        return out

    def near(self, rng: np.random.Generator, at: int, km: float) -> int:
        """A postcode in the same authority within ``km`` of postcode ``at`` (a relative's home)."""
        pool = self.group((str(self.la[at]),))
        d = np.hypot(self.easting[pool] - self.easting[at], self.northing[pool] - self.northing[at])
        close = pool[(d > 200) & (d < km * 1000)]
        return int(rng.choice(close)) if len(close) else at

    def miles(self, a: int, b: np.ndarray) -> np.ndarray:
        return np.hypot(self.easting[b] - self.easting[a], self.northing[b] - self.northing[a]) / MILE_M

    def centroid(self, las: tuple[str, ...]) -> tuple[float, float]:
        idx = self.group(las)
        return float(self.easting[idx].mean()), float(self.northing[idx].mean())


def _read(letters: tuple[str, ...], keep: Callable[[np.ndarray], np.ndarray]) -> Geography:
    """Live postcodes under ``letters`` whose authority passes ``keep``, straight from the
    directory's columns (formatting only the postcodes kept: fast enough for all England)."""
    parts = []
    for letter in letters:
        cols = directory_letter(letter)
        la = cols.laua.astype(str)
        idx = np.flatnonzero(keep(la) & cols.located)
        parts.append((np.array(cols.postcodes(idx), dtype=object), cols.east[idx], cols.north[idx], la[idx]))
    code = np.concatenate([p[0] for p in parts]).astype(str)
    east, north, la = (np.concatenate([p[k] for p in parts]) for k in (1, 2, 3))
    code, first = np.unique(code, return_index=True)  # sorted, one row per postcode
    return Geography(postcode=code, easting=east[first], northing=north[first], la=la[first])


@lru_cache(maxsize=8)
def geography(las: tuple[str, ...], letters: tuple[str, ...]) -> Geography:
    """The postcodes of the given lower-tier authorities, searched under the given first letters."""
    wanted = np.array(sorted(set(las)))
    return _read(letters, lambda la: np.isin(la, wanted))


@lru_cache(maxsize=1)
def england() -> Geography:
    """Every live postcode in England (about 1.9 million)."""
    return _read(tuple(string.ascii_uppercase), lambda la: np.char.startswith(la.astype(str), "E"))


@lru_cache(maxsize=4)
def geography_of_letters(letters: tuple[str, ...]) -> Geography:
    """Every live postcode under the given first letters, whatever its country."""
    if set(string.ascii_uppercase) <= set(letters):
        return england_and_beyond()
    return _read(letters, lambda la: np.ones(len(la), dtype=bool))


@lru_cache(maxsize=1)
def england_and_beyond() -> Geography:
    return _read(tuple(string.ascii_uppercase), lambda la: np.ones(len(la), dtype=bool))
