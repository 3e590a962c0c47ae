"""The placements data standard: case folder -> standard -> case folder loses nothing the engine uses."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from placements.cli import app
from placements.io.case_folder import read_case_folder
from placements.match import match

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"
runner = CliRunner()


def small_places(folder: Path) -> Path:
    path = folder / "homes" / "places.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "place_id,setting,provider,postcode,vacancies,age_min,age_max,weekly_cost\n"
        "R1,residential,private,NG7 2RD,1,10,17,4200\n"
    )
    return path


def test_round_trip_keeps_everything_the_engine_uses(tmp_path: Path) -> None:
    res = runner.invoke(app, ["standard", "export", str(DEMO), "--out", str(tmp_path / "std")])
    assert res.exit_code == 0, res.output
    res = runner.invoke(
        app,
        [
            "standard",
            "import",
            str(tmp_path / "std"),
            "--places",
            str(DEMO / "places.csv"),
            "--out",
            str(tmp_path / "case"),
        ],
    )
    assert res.exit_code == 0, res.output
    before, after = read_case_folder(DEMO), read_case_folder(tmp_path / "case")
    assert after.instance == before.instance and after.policy == before.policy
    # The standard's own fields carry what they can: settings as suitability, needs as risks.
    ref = pd.read_csv(tmp_path / "std" / "referrals.csv", dtype=str, keep_default_na=False).set_index("childId")
    for c in before.instance.children[:50]:
        r = ref.loc[c.child_id]
        assert (r["riskSelfHarm"] == "Risk Present") == ("self_harm" in {n.value for n in c.needs})
        if c.settings:
            first = {"foster": "fosterCareSuitability", "residential": "residentialCareSuitability",
                     "supported": "supportedAccommodationSuitability"}[c.settings[0].value]  # fmt: skip
            assert r[first] == "Preferred"


def test_standard_fields_alone_give_a_case_folder(tmp_path: Path) -> None:
    """Without local columns: the standard's fields are read, the rest takes the case folder's defaults."""
    folder = tmp_path / "std"
    folder.mkdir()
    (folder / "referrals.csv").write_text(
        "childId,neededBy,fosterCareSuitability,residentialCareSuitability,supportedAccommodationSuitability,"
        "riskCriminalExploitation,livingCompanions,communicationNeeds,homeAdaptation,date_of_birth,sex\n"
        "C1,Today,Suitable but not preferred,Preferred,Unsuitable,Risk Present,Solo placement recommended,N,N,"
        "2011-01-01,M\n"
    )
    res = runner.invoke(
        app, ["standard", "import", str(folder), "--places", str(small_places(tmp_path)), "--out", str(tmp_path / "c")]
    )
    assert res.exit_code == 0, res.output
    (c,) = read_case_folder(tmp_path / "c").instance.children
    assert (c.status.value, c.urgency.value, [s.value for s in c.settings]) == (
        "needs_placement", "emergency", ["residential", "foster"],
    )  # fmt: skip
    assert {n.value for n in c.needs} == {"exploitation"} and c.lives_with_others is False


@pytest.mark.parametrize(
    "cell, column, words",
    [
        ("fosterCareSuitability=Maybe", "fosterCareSuitability", "'Maybe' is not one of"),
        ("neededBy=Tomorrow", "neededBy", "'Tomorrow' is not one of"),
        ("riskSelfHarm=Yes", "riskSelfHarm", "'Yes' is not one of"),
    ],
)
def test_unknown_codes_are_refused_with_file_line_column(tmp_path: Path, cell: str, column: str, words: str) -> None:
    field, value = cell.split("=")
    folder = tmp_path / "std"
    folder.mkdir()
    (folder / "referrals.csv").write_text(
        f"childId,date_of_birth,sex,{field}\nC1,2011-01-01,M,\nC2,2011-01-01,F,{value}\n"
    )
    out = tmp_path / "never"
    places = small_places(tmp_path)
    res = runner.invoke(app, ["standard", "import", str(folder), "--places", str(places), "--out", str(out)])
    assert res.exit_code == 2 and "Traceback" not in res.output
    text = " ".join(res.output.split())
    assert f"referrals.csv, line 3, column {column}: {words}" in text
    assert not out.exists()


def test_proposals_export(tmp_path: Path) -> None:
    folder = read_case_folder(DEMO)
    result = match(folder.instance, folder.policy)
    result.matches.to_csv(tmp_path / "matches.csv", index=False)
    res = runner.invoke(
        app, ["standard", "export", str(DEMO), "--out", str(tmp_path / "s"), "--matches", str(tmp_path / "matches.csv")]
    )
    assert res.exit_code == 0, res.output
    prop = pd.read_csv(tmp_path / "s" / "proposals.csv", dtype=str, keep_default_na=False)
    assert len(prop) == len(result.matches)
    assert set(prop["placementType"]) <= {"Foster", "Residential", "Supported Accommodation"}
    assert dict(zip(prop["childId"], prop["place_id"], strict=True)) == result.assignment
