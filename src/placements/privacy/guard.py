"""The output guard: what any file written by match, conflicts, gaps, recruit or report may hold.

Always: no full postcode (a full postcode names a street; the sector ``NG7 2`` is kept) and no column
of dates of birth. With a pseudonymiser: no child or sibling-group id of the input (each becomes its
keyed pseudonym), no date finer than the month (so no date of birth can be read off, whatever a date
column means), and never the key. Names never enter an ``Instance`` (the case-folder reader ignores
columns it does not know), so no output can carry one.

``Privacy.check`` scans the finished files and raises ``DisclosureError`` rather than write a file
that breaks these rules: the transformations make that impossible by construction, the check makes
sure of it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import ahocorasick
import pandas as pd

from placements.geo import FULL_POSTCODE_IN_TEXT, is_sector, sector_only
from placements.instance import Instance
from placements.privacy.pseudonyms import Pseudonymiser

_ISO_DATE = re.compile(r"(?<![0-9])([0-9]{4})-([0-9]{2})-[0-9]{2}(?![0-9])")
_UK_DATE = re.compile(r"(?<![0-9/])[0-9]{1,2}/([0-9]{1,2})/([0-9]{4})(?![0-9])")
#: Columns that hold something other than a child: never rewritten as a child id.
_NOT_CHILD_COLUMNS = frozenset(
    {
        "place_id",
        "current_place_id",
        "setting",
        "provider",
        "rule",
        "severity",
        "reason_code",
        "binding_rule",
        "urgency",
    }
)
_DOB_COLUMNS = frozenset({"date_of_birth", "dob", "birth_date"})


def _may_hold_child(column: str) -> bool:
    """Whether a column's whole value may be a child or sibling-group id (not a place, a setting, a rule...)."""
    return column not in _NOT_CHILD_COLUMNS and not column.endswith(("place_id", "_setting", "_provider"))


class DisclosureError(RuntimeError):
    """An output would have held something that must not leave the team; nothing was written."""

    def __init__(self, findings: list[str]):
        self.findings = findings
        super().__init__("; ".join(findings))


def _automaton(words: Iterable[str]) -> ahocorasick.Automaton | None:
    """Every word in one Aho-Corasick automaton (``pyahocorasick``): one pass over a text finds
    every occurrence of every word, where a search per word (or a regular expression of 5,000
    alternatives) costs the text's length times the number of words."""
    auto = ahocorasick.Automaton()
    for word in words:
        auto.add_word(word, word)
    if len(auto) == 0:
        return None
    auto.make_automaton()
    return auto


def _word_char(ch: str) -> bool:
    return ch.isascii() and (ch.isalnum() or ch == "_")


def _whole_words(auto: ahocorasick.Automaton | None, text: str) -> list[tuple[int, int, str]]:
    """(start, end, word) of each identifier in ``text`` standing as a whole word, leftmost and then
    longest first, not overlapping: what ``re.finditer`` gives for ``(?<!\\w)(a|b|...)(?!\\w)`` with
    the words longest first, found in one pass."""
    if auto is None or not text:
        return []
    found = []
    for last, word in auto.iter(text):
        start, end = last - len(word) + 1, last + 1
        if (start > 0 and _word_char(text[start - 1])) or (end < len(text) and _word_char(text[end])):
            continue
        found.append((start, -len(word), word))
    found.sort()
    out, free_from = [], 0
    for start, neg, word in found:
        if start >= free_from:
            out.append((start, start - neg, word))
            free_from = start - neg
    return out


def _month_only(text: str) -> str:
    text = _ISO_DATE.sub(lambda m: f"{m.group(1)}-{m.group(2)}", text)
    return _UK_DATE.sub(lambda m: f"{m.group(2)}-{int(m.group(1)):02d}", text)


@dataclass
class Privacy:
    """The privacy rules of one run: the input's identifiers and, when pseudonymising, the key."""

    instance: Instance
    pseudonymiser: Pseudonymiser | None = None
    _ids: dict[str, str] = field(init=False, repr=False)
    _id_words: ahocorasick.Automaton | None = field(init=False, repr=False)
    _postcodes: ahocorasick.Automaton | None = field(init=False, repr=False, default=None)
    _compact: set[str] = field(init=False, repr=False, default_factory=set)

    def __post_init__(self) -> None:
        children = [c.child_id for c in self.instance.children]
        groups = sorted({c.sibling_group for c in self.instance.children if c.sibling_group})
        self._ids = self.pseudonymiser.mapping(children, groups) if self.pseudonymiser else {}
        self._id_words = _automaton(self._ids)
        full = set()
        for c in self.instance.children:  # the family home and the school each locate the child
            for postcode in (c.home_postcode, c.school_postcode):
                if postcode and not is_sector(postcode):
                    full.add(postcode.upper())
        for p in self.instance.places:
            if p.postcode and not is_sector(p.postcode):
                full.add(p.postcode.upper())
        self._postcodes = _automaton(sorted(full))
        self._compact = {pc.replace(" ", "") for pc in full}

    @property
    def pseudonymised(self) -> bool:
        return self.pseudonymiser is not None

    # -- transformations ---------------------------------------------------------------------
    def text(self, value: str) -> str:
        """One piece of text made safe: sectors always; pseudonyms and months when pseudonymising."""
        value = sector_only(value)
        if self.pseudonymiser is None:
            return value
        hits = _whole_words(self._id_words, value)
        if hits:
            parts, at = [], 0
            for start, end, word in hits:
                parts += [value[at:start], self._ids[word]]
                at = end
            value = "".join(parts) + value[at:]
        return _month_only(value)

    def id(self, value: str) -> str:
        """A child or sibling-group id as it may be written."""
        return self._ids.get(value, value) if self.pseudonymiser else value

    def _cell(self, value: Any, exact: bool) -> Any:
        if isinstance(value, str):
            return self.id(value) if exact and value in self._ids else self.text(value)
        if self.pseudonymiser is not None and isinstance(value, dt.date):
            return value.strftime("%Y-%m")
        return value

    def frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        """A table made safe to write: text columns rewritten, numbers untouched, no date-of-birth column."""
        out = frame.drop(columns=[c for c in frame.columns if str(c).lower() in _DOB_COLUMNS])
        out = out.copy()
        for col in out.columns:
            series = out[col]
            if pd.api.types.is_datetime64_any_dtype(series):
                if self.pseudonymiser is not None:
                    out[col] = series.dt.strftime("%Y-%m")
            elif series.dtype == object or pd.api.types.is_string_dtype(series):
                exact = _may_hold_child(str(col))
                out[col] = series.map(lambda v, e=exact: self._cell(v, e))
        return out

    def cell(self, column: str, value: str) -> str:
        """One text cell of a table with the given column name, made safe."""
        return str(self._cell(value, _may_hold_child(column)))

    def frames(self, frames: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
        """``pseudonymise_frames``: every table of a command at once."""
        return {name: self.frame(f) for name, f in frames.items()}

    def summary(self, value: Any) -> Any:
        """A JSON-like value (dicts, lists, strings, numbers) made safe, keys included."""
        if isinstance(value, Mapping):
            return {self.summary(k) if isinstance(k, str) else k: self.summary(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.summary(v) for v in value]
        if isinstance(value, str):
            return self.text(value)
        if self.pseudonymiser is not None and isinstance(value, dt.date):
            return value.strftime("%Y-%m")
        return value

    # -- the guard ---------------------------------------------------------------------------
    def findings(self, files: Mapping[str, str | bytes]) -> list[str]:
        """What each file holds that it must not (empty when all is well).

        One pass over each file finds every full postcode of the input at once (an Aho-Corasick
        automaton), so the scan grows with the size of the outputs, not with that times the
        number of postcodes."""
        compact = self._compact
        found: list[str] = []
        for name, content in files.items():
            if isinstance(content, bytes):
                try:
                    content = content.decode("utf-8")
                except UnicodeDecodeError:
                    continue  # an image: written from the already-safe tables
            upper = content.upper()
            if (self._postcodes is not None and next(self._postcodes.iter(upper), None) is not None) or any(
                m.group(0).replace(" ", "") in compact for m in FULL_POSTCODE_IN_TEXT.finditer(upper)
            ):
                found.append(f"{name}: holds a full postcode of the input")
            first_line = content.split("\n", 1)[0].lower()
            if name.endswith(".csv") and any(col in first_line.split(",") for col in _DOB_COLUMNS):
                found.append(f"{name}: has a date-of-birth column")
            if self.pseudonymiser is None:
                continue
            if self.pseudonymiser.holds_key(content):
                found.append(f"{name}: holds the pseudonym key")
            if _ISO_DATE.search(content) or _UK_DATE.search(content):
                found.append(f"{name}: holds a date finer than the month")
            if self._id_words is not None:
                # an all-digit id equal to a number in the text is not a disclosure of that child
                hits = [w for _, _, w in _whole_words(self._id_words, content) if not w.isdigit()]
                if hits:
                    found.append(f"{name}: holds {len(hits)} child or sibling-group identifier(s) of the input")
        return found

    def check(self, files: Mapping[str, str | bytes]) -> None:
        """Raise ``DisclosureError`` (write nothing) if any file breaks the rules."""
        problems = self.findings(files)
        if problems:
            raise DisclosureError(problems)
