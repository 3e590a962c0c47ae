"""The conflict rules find exactly the conflicts the generator planted (issue 4's ground-truth check).

The generator records, from its own decisions, which children each rule should find
(``ground_truth.json``); the rules (``placements.reports.conflicts``) are run on the case folder
it wrote. Equal counts and equal children per rule mean the two independent statements of the
rules agree; a difference points at a bug in one of them.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from placements.io.case_folder import read_case_folder
from placements.io.writers import write_files
from placements.reports.conflicts import BUILTIN_CODES, run_rules
from placements.synth.generate import generate
from placements.synth.groundtruth import RULES

AS_OF = dt.date(2026, 11, 23)


def _rules_against_truth(folder: Path) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    case = read_case_folder(folder)
    found = run_rules(case.instance, case.policy.as_of_date())
    truth = json.loads((folder / "ground_truth.json").read_text(encoding="utf-8"))
    got = {code: sorted(found.loc[found["rule"] == code, "child_id"]) for code in BUILTIN_CODES}
    return got, truth["rules"]


def test_ground_truth_covers_every_builtin_rule() -> None:
    assert set(RULES) == set(BUILTIN_CODES)


DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"  # `synth --profile nottingham --seed 1` output


@pytest.mark.parametrize("seed", [1, 2])
def test_rule_counts_equal_the_planted_ground_truth(seed: int, tmp_path: Path) -> None:
    if seed == 1:
        tmp_path = DEMO
    else:
        write_files(tmp_path, generate("nottingham", seed, AS_OF))
    got, truth = _rules_against_truth(tmp_path)
    counts = {code: len(ids) for code, ids in truth.items()}
    assert {code: len(ids) for code, ids in got.items()} == counts
    assert got == truth  # the same children, not only as many
    # Every rule has something to find, so the comparison is not vacuous.
    assert all(n > 0 for n in counts.values()), counts
    recorded = json.loads((tmp_path / "ground_truth.json").read_text(encoding="utf-8"))["counts"]
    assert recorded == counts


@pytest.mark.slow
def test_ground_truth_on_a_multi_authority_folder(tmp_path: Path) -> None:
    write_files(tmp_path, generate("region", 1, AS_OF, scale=0.3))
    got, truth = _rules_against_truth(tmp_path)
    assert got == truth
    assert len({i.split("-")[0] for ids in truth.values() for i in ids}) == 4  # every authority has findings
