"""SSDA903 code lists that change between collection years, held once, as data.

The reader checks codes against these tables and the cohort reads them; nothing else spells an
SSDA903 code. The year changes are those of the DfE guidance (see
``/work/shared/reference/ssda903-codes.md``): P2 is invalid from 28 October 2023 (when 16-17s may
only live in Ofsted-registered supported accommodation), K3 (registered supported accommodation)
arrives in 2024/25, and in 2025/26 H5, P2 and Z1 leave the list while Z11-Z14 arrive. A PLACE code
is judged by the date its episode began (DECOM).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

#: What kind of placement each PLACE code is. Old and new codes for the same thing share a group
#: (H5 and P2 before K3; Z1 before Z11-Z14), so a history reads the same across the change.
PLACE_GROUP: dict[str, str] = {
    **{c: "foster_kinship" for c in ("U1", "U2", "U3")},
    **{c: "foster" for c in ("U4", "U5", "U6")},
    "K2": "childrens_home",
    "K1": "secure",
    **{c: "supported" for c in ("K3", "H5", "P2")},
    **{c: "other_residential" for c in ("R1", "R2", "R3", "R5", "S1")},
    "P1": "with_parents",
    **{c: "adoption" for c in ("A3", "A4", "A5", "A6")},
    **{c: "temporary" for c in ("T0", "T1", "T2", "T3", "T4")},
    **{c: "other" for c in ("Z1", "Z11", "Z12", "Z13", "Z14", "P3")},
}

#: The case folder's setting for the PLACE groups a match knows (others have none).
GROUP_SETTING: dict[str, str] = {
    "foster_kinship": "foster",
    "foster": "foster",
    "childrens_home": "residential",
    "secure": "residential",
    "supported": "supported",
}

KINSHIP_GROUP = "foster_kinship"


@dataclass(frozen=True)
class Window:
    """A code is valid for episodes beginning on or after ``start`` and before ``end``."""

    start: dt.date | None = None
    end: dt.date | None = None

    def holds(self, day: dt.date) -> bool:
        return (self.start is None or day >= self.start) and (self.end is None or day < self.end)

    def describe(self) -> str:
        if self.start and self.end:
            return f"valid from {self.start:%d/%m/%Y} to {self.end - dt.timedelta(days=1):%d/%m/%Y}"
        if self.start:
            return f"valid from {self.start:%d/%m/%Y}"
        if self.end:
            return f"valid up to {self.end - dt.timedelta(days=1):%d/%m/%Y}"
        return "always valid"


REFORM_2023 = dt.date(2023, 10, 28)  # unregulated placements of 16-17s end
YEAR_2024_25 = dt.date(2024, 4, 1)
YEAR_2025_26 = dt.date(2025, 4, 1)

#: PLACE codes whose validity depends on the date; every other code of PLACE_GROUP is always valid.
PLACE_WINDOWS: dict[str, Window] = {
    "P2": Window(end=REFORM_2023),
    "H5": Window(end=YEAR_2025_26),
    "Z1": Window(end=YEAR_2025_26),
    "K3": Window(start=YEAR_2024_25),
    **{c: Window(start=YEAR_2025_26) for c in ("Z11", "Z12", "Z13", "Z14")},
}


def place_window(code: str) -> Window:
    return PLACE_WINDOWS.get(code, Window())


#: PLACE_PROVIDER codes and what the cohort calls them.
PROVIDERS: dict[str, str] = {
    "PR0": "parents",
    "PR1": "own_authority",
    "PR2": "other_authority",
    "PR3": "other_public",
    "PR4": "private",
    "PR5": "voluntary",
}

#: SEX as written (1/2 up to 2023/24, M/F/U from 2024/25) -> M/F/U.
SEX: dict[str, str] = {"1": "M", "2": "F", "M": "M", "F": "F", "U": "U"}

#: Reasons for a new episode that begin a new placement; ``L`` (legal status only) continues one.
NEW_PLACEMENT_RNE = frozenset({"S", "P", "B", "T", "U"})
SAME_PLACEMENT_RNE = "L"
