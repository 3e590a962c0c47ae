"""The demo authority's daily match, end to end through the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from placements.cli import app
from placements.io.case_folder import read_case_folder
from placements.validate import validate

DEMO = Path(__file__).parent.parent / "data" / "demo"


def test_daily_demo_match_is_optimal_lawful_and_explained(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["match", str(DEMO), "--out", str(out)])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "OPTIMAL" and summary["gap"] == 0.0
    matches = pd.read_csv(out / "matches.csv", dtype={"child_id": str, "place_id": str})
    unplaced = pd.read_csv(out / "unplaced.csv", dtype={"child_id": str})
    shortlist = pd.read_csv(out / "shortlist.csv", dtype={"child_id": str})
    folder = read_case_folder(DEMO)
    assignment = dict(zip(matches["child_id"], matches["place_id"], strict=True))
    assert validate(folder.instance, assignment, folder.policy.as_of_date()) == []
    # The files and the summary tell the same story.
    assert summary["placed"] == len(matches) and summary["unplaced"] == len(unplaced)
    assert summary["placed"] + summary["unplaced"] == summary["needing_placement"] == 40
    assert summary["objective"] == matches["score_penalty"].sum()
    assert summary["total_weekly_cost"] == round(matches["weekly_cost"].sum(), 2)
    assert summary["sibling_groups_split"] == matches.loc[matches["split"], "sibling_group"].nunique()
    # Every child without a home has a reason naming the binding rule, in a sentence.
    assert unplaced["binding_rule"].notna().all() and (unplaced["explanation"].str.len() > 40).all()
    assert set(shortlist["child_id"]) <= set(matches["child_id"]) | set(unplaced["child_id"])
    # No postcode or date of birth leaves in the officer's files.
    for frame in (matches, unplaced, shortlist):
        assert not {"home_postcode", "postcode", "date_of_birth"} & set(frame.columns)
