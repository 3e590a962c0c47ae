"""Applying the privacy rules to a ``MatchResult`` and to a command's files before they are written."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections.abc import Mapping

from placements.privacy.guard import Privacy
from placements.result import MatchResult


def protect_result(result: MatchResult, privacy: Privacy) -> MatchResult:
    """The same result with every table and the summary made safe (pseudonyms when asked for)."""
    return dataclasses.replace(
        result,
        assignment={privacy.id(c): p for c, p in result.assignment.items()},
        summary=result.summary.replace(**privacy.summary(result.summary.to_dict())),
        matches=privacy.frame(result.matches),
        shortlist=privacy.frame(result.shortlist),
        unplaced=privacy.frame(result.unplaced),
    )


def protect_files(files: Mapping[str, str | bytes], privacy: Privacy) -> dict[str, str | bytes]:
    """Any command's finished files made safe: CSVs cell by cell (by column), JSON value by value.

    For commands that build their files elsewhere (``gaps_files``, ``recruit_files``): the same rules as
    ``Privacy.frame``, applied to the text. A column whose every cell is a number is left alone unless
    its name says it holds a child or sibling group; other files pass through to ``Privacy.check``.
    """
    out: dict[str, str | bytes] = {}
    for name, content in files.items():
        if isinstance(content, str) and name.endswith(".csv"):
            out[name] = _protect_csv(content, privacy)
        elif isinstance(content, str) and name.endswith(".json"):
            out[name] = json.dumps(privacy.summary(json.loads(content)), indent=2) + "\n"
        else:
            out[name] = content
    return out


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _protect_csv(text: str, privacy: Privacy) -> str:
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return text
    header = rows[0]
    keep = [rows[0]]
    numeric = [
        all(_is_number(r[j]) or r[j] == "" for r in rows[1:] if j < len(r))
        and not any(k in h for k in ("child", "sibling_group"))
        for j, h in enumerate(header)
    ]
    frame_cols = {j: h for j, h in enumerate(header)}
    for r in rows[1:]:
        keep.append([v if numeric[j] else privacy.cell(frame_cols[j], v) for j, v in enumerate(r)])
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(keep)
    return buf.getvalue()
