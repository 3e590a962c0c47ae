"""Typed outcomes for bad input: every problem names its file, row and column."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input.

    ``row`` is the line number in the file as a spreadsheet shows it (the header is line 1),
    or None when the problem concerns the whole file.
    """

    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", line {self.row}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.message}"


class InputError(Exception):
    """The input cannot be used; ``problems`` lists everything found, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
