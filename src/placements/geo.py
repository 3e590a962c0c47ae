"""Geography: the DfE's distance formula and the shapes of postcodes and authority codes. Each once.

- **Distance** as the DfE publishes it: the straight line between two postcodes' ONS grid
  references, ``sqrt(dE^2 + dN^2) / 1000 / 1.6093`` miles, rounded to 0.1.
- **Postcodes**: a full postcode (``NG7 2RD``) is an outward code (``NG7``) and an inward code
  (``2RD``); a sector (``NG7 2``) is the outward code and the inward code's digit, as regional
  extracts truncate them; a district is the outward code alone.
- **Authorities**: ONS codes such as ``E06000018`` (a letter for the nation, eight digits).
"""

from __future__ import annotations

import re

import numpy as np

METRES_PER_KM = 1000.0
KM_PER_MILE = 1.6093

OUTWARD = r"[A-Z]{1,2}[0-9][A-Z0-9]?"
FULL_POSTCODE = re.compile(rf"^({OUTWARD})([0-9][A-Z]{{2}})$")
SECTOR = re.compile(rf"^({OUTWARD})([0-9])$")
DISTRICT = re.compile(rf"^{OUTWARD}$")
#: A full postcode anywhere in a text: outward code, optional space, inward code.
FULL_POSTCODE_IN_TEXT = re.compile(rf"(?<![A-Za-z0-9])({OUTWARD}) ?([0-9])[A-Z]{{2}}(?![A-Za-z0-9])")
ONS_LA = re.compile(r"^[EWSN]\d{8}$")


def miles(e1: np.ndarray | float, n1: np.ndarray | float, e2: np.ndarray | float, n2: np.ndarray | float) -> np.ndarray:
    """Straight-line miles by the DfE formula, to 0.1 mile (numpy broadcasting; NaN where unknown)."""
    out = np.hypot(np.subtract(e1, e2), np.subtract(n1, n2))
    if not isinstance(out, np.ndarray):  # scalars in, a scalar out
        return np.round(out / METRES_PER_KM / KM_PER_MILE, 1)
    # In place: the same operations in the same order, without a new matrix for each (region scale: 22 million).
    out /= METRES_PER_KM
    out /= KM_PER_MILE
    return np.round(out, 1, out=out)


def normalise_postcode(postcode: str) -> str | None:
    """``'ng7 2rd'`` -> ``'NG7 2RD'``, ``'NG72'`` -> ``'NG7 2'``; None when it is not postcode-shaped."""
    compact = re.sub(r"\s+", "", postcode.upper())
    for pattern in (FULL_POSTCODE, SECTOR):
        m = pattern.match(compact)
        if m:
            return f"{m.group(1)} {m.group(2)}"
    # A sector like "NG72" is ambiguous between outward "NG7"+"2" and outward "NG72"; the
    # patterns above read the last digit as the sector, which is the only reading ONS uses.
    return None


def is_sector(postcode: str) -> bool:
    """Whether a normalised postcode is a sector (``NG7 2``) rather than a full postcode."""
    return len(postcode.split(" ")[1]) == 1


def is_district(text: str) -> bool:
    """An outward code alone (``NG15``), never a sector."""
    return bool(DISTRICT.match(text))


def is_ons_la(value: object) -> bool:
    """An ONS authority code such as ``E06000018``."""
    return isinstance(value, str) and bool(ONS_LA.match(value))


def sector_only(text: str) -> str:
    """``'lives near NG7 2RD'`` -> ``'lives near NG7 2'``: every full postcode in a text cut to its sector."""
    return FULL_POSTCODE_IN_TEXT.sub(lambda m: f"{m.group(1)} {m.group(2)}", text)


def avoid_area(entry: str) -> str:
    """One entry of a child's areas to avoid, normalised: a postcode district (``NG7``), a sector
    (``NG7 2``, written with its space) or an ONS authority code (``E06000018``).

    Raises ``ValueError`` saying what shape was expected (and, for a full postcode, which sector and
    district it stands in): the message is the same from the case folder and the web form.
    """
    text = re.sub(r"\s+", " ", entry.strip().upper())
    if ONS_LA.match(text):
        return text
    if DISTRICT.match(text):
        return text
    parts = text.split(" ")
    if len(parts) == 2 and DISTRICT.match(parts[0]) and re.fullmatch(r"[0-9]", parts[1]):
        return text
    full = FULL_POSTCODE.match(text.replace(" ", ""))
    if full:
        outward, inward = full.group(1), full.group(2)
        raise ValueError(
            f"{entry.strip()!r} is a full postcode, which names a street: give its sector "
            f"{outward + ' ' + inward[0]!r} or its district {outward!r}"
        )
    hint = ""
    if re.fullmatch(r"[EWSN]\d+", text):
        hint = " (an ONS authority code is a letter and eight digits)"
    elif re.fullmatch(r"[A-Z]{1,2}[0-9][A-Z0-9]?[0-9]", text):
        hint = f" (a sector is written with its space: {text[:-1] + ' ' + text[-1]!r})"
    raise ValueError(
        f"{entry.strip()!r} is not a postcode district (NG7), sector (NG7 2) or ONS authority code (E06000018){hint}"
    )


def parse_avoid_areas(value: str) -> tuple[str, ...]:
    """A ``;``-separated list of areas to avoid (see ``avoid_area``), normalised, each once, in the order given.

    Raises ``ValueError`` naming every malformed entry."""
    out: list[str] = []
    errors: list[str] = []
    for raw in value.split(";"):
        if not raw.strip():
            continue
        try:
            area = avoid_area(raw)
        except ValueError as exc:
            errors.append(str(exc))
            continue
        if area not in out:
            out.append(area)
    if errors:
        raise ValueError("; ".join(errors))
    return tuple(out)


def in_avoided_area(areas: tuple[str, ...], postcode: str | None, la_codes: tuple[str | None, ...]) -> str | None:
    """The first of ``areas`` that a home with this postcode (full or sector, normalised) and authority
    codes (its own and its upper tier) lies in, else None. A home without a postcode can be excluded by
    an authority code only."""
    outward, sector = None, None
    if postcode:
        outward, _, inward = postcode.partition(" ")
        sector = f"{outward} {inward[:1]}" if inward else None
    for area in areas:
        if ONS_LA.match(area):
            if area in la_codes:
                return area
        elif " " in area:
            if area == sector:
                return area
        elif area == outward:
            return area
    return None
