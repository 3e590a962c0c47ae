"""The small traps a new user falls into (issue 12, item 6), each reproduced with the exact input.

Before each was fixed: a children.csv with only its header gave 108 misleading kinship_for problems;
an Excel workbook renamed .csv gave "not UTF-8 text"; a misspelt policy.toml key gave no "did you
mean"; cohort wrote problems.csv where it could overwrite a file of the user's; match --ssda903
without --supplement matched nobody and exited 0; --out naming a file ended in a traceback; switches
showed as "<bool>" in --help; there was no --version. Each test below gives the broken input and
checks the clear outcome. Broken case folders are under tests/data/broken/, named after the defect.
"""

from __future__ import annotations

import shutil
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest
from typer.testing import CliRunner

from builders import cli_flat
from placements.cli import app
from placements.errors import InputError
from placements.io.case_folder import read_case_folder
from placements.io.sniff import not_text
from placements.io.ssda903.read import read_ssda903

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"
BROKEN = ROOT / "tests" / "data" / "broken"
TINY = ROOT / "tests" / "data" / "tiny"
runner = CliRunner()


# ---------------------------------------------------------------------------------------------
# children.csv with only its header


def test_header_only_children_csv_with_the_demo_places_is_one_problem(tmp_path: Path) -> None:
    """The demo's places name 108 children as connected-person carers' own: none of them is a problem."""
    case = tmp_path / "case"
    shutil.copytree(DEMO, case, ignore=shutil.ignore_patterns("ssda903"))
    header = (DEMO / "children.csv").read_text(encoding="utf-8").splitlines()[0]
    (case / "children.csv").write_text(header + "\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_case_folder(case)
    assert [(p.file, p.row, p.column) for p in info.value.problems] == [(str(case / "children.csv"), None, None)]
    assert info.value.problems[0].message.startswith("no children")
    out = tmp_path / "out"
    result = runner.invoke(app, ["match", str(case), "--out", str(out)])
    assert result.exit_code == 2
    assert "(1 problem(s))" in cli_flat(result) and "kinship_for" not in cli_flat(result)
    assert not out.exists()


# ---------------------------------------------------------------------------------------------
# A spreadsheet where CSV text should be


def test_excel_workbook_renamed_csv_is_named_as_such(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["match", str(BROKEN / "ChildrenCsvIsExcelWorkbook"), "--out", str(out)])
    text = cli_flat(result)
    assert result.exit_code == 2, text
    assert "children.csv: this looks like an Excel workbook (.xlsx), not CSV text" in text
    assert "save it as 'CSV UTF-8 (Comma delimited) (*.csv)'" in text
    assert "UTF-8 text" not in text.replace("CSV UTF-8", "")
    assert not out.exists()


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504, "Excel 97-2003 workbook (.xls)"),
        ("child_id\tsex\nC1\tM\n".encode("utf-16"), "UTF-16 text (Excel's 'Unicode Text'"),
        (None, "OpenDocument spreadsheet (.ods)"),
        (b"PK\x03\x04 truncated", "ZIP archive"),
    ],
    ids=["xls", "utf16", "ods", "zip"],
)
def test_other_spreadsheet_signatures(tmp_path: Path, content: bytes | None, words: str) -> None:
    if content is None:  # an OpenDocument spreadsheet: a ZIP whose mimetype says so
        path = tmp_path / "sheet.zip"
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
            z.writestr("content.xml", "<office:document-content/>")
        content = path.read_bytes()
    case = tmp_path / "case"
    shutil.copytree(TINY, case)
    (case / "places.csv").write_bytes(content)
    with pytest.raises(InputError) as info:
        read_case_folder(case)
    msgs = [p.message for p in info.value.problems if p.file.endswith("places.csv")]
    assert len(msgs) == 1 and words in msgs[0] and "CSV UTF-8" in msgs[0], msgs


def test_plain_csv_is_not_taken_for_a_spreadsheet() -> None:
    assert not_text((TINY / "children.csv").read_bytes()) is None
    assert not_text(b"PK,name\n1,2\n") is None  # a column called PK is still CSV


def test_windows_1252_csv_says_how_to_save_it(tmp_path: Path) -> None:
    case = tmp_path / "case"
    shutil.copytree(TINY, case)
    # Excel's plain "CSV (Comma delimited)" writes Windows-1252: an accented name is not UTF-8.
    lines = (TINY / "places.csv").read_text(encoding="utf-8").splitlines()
    lines = [lines[0] + ",provider_name"] + [line + ",Café Homes" for line in lines[1:]]
    (case / "places.csv").write_bytes(("\n".join(lines) + "\n").encode("cp1252"))
    with pytest.raises(InputError) as info:
        read_case_folder(case)
    (p,) = [p for p in info.value.problems if p.file.endswith("places.csv")]
    assert p.message.startswith("not UTF-8 text") and "CSV UTF-8" in p.message


def test_ssda903_return_with_a_workbook_in_it_says_so(tmp_path: Path) -> None:
    root = tmp_path / "903"
    root.mkdir()
    (root / "header.csv").write_text("CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\nC1,1,01/02/2010,WBRI,,,\n")
    (root / "episodes.csv").write_text(
        "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"
        "C1,01/01/2023,S,C2,N1,U4,PR1,,,,NG7 2RD,NG5 6EA,\n"
    )
    shutil.copy(BROKEN / "ChildrenCsvIsExcelWorkbook" / "children.csv", root / "reviews.csv")
    issues = [i for i in read_ssda903(root).issues if i.file.endswith("reviews.csv")]
    assert [(i.problem.split(";")[0], i.action) for i in issues] == [
        ("this looks like an Excel workbook (.xlsx), not CSV text", "file not read")
    ]


# ---------------------------------------------------------------------------------------------
# Misspelt keys: did you mean ...?


def test_policy_key_with_nothing_close_lists_the_keys_allowed(tmp_path: Path) -> None:
    case = tmp_path / "case"
    shutil.copytree(TINY, case)
    (case / "policy.toml").write_text("as_of = 2026-11-23\n[weights]\nzebra = 3\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_case_folder(case)
    (p,) = info.value.problems
    assert p.column == "weights.zebra"
    assert (
        "; the keys allowed here are apart_from_placed_sibling, distance_cap_miles, moves_settled_child, not_kinship,"
        in p.message
    )


def test_policy_misspelt_key_at_each_level_through_the_cli(tmp_path: Path) -> None:
    for name, words in (
        ("PolicyUnknownKey", "column shortlist_sise: unknown key, not permitted in policy.toml; did you mean "
         "'shortlist_size'?"),
        ("PolicyUnknownWeight", "column weights.per_mille: unknown key, not permitted in policy.toml; did you mean "
         "'per_mile'?"),
    ):  # fmt: skip
        result = runner.invoke(app, ["match", str(BROKEN / name), "--out", str(tmp_path / "out")])
        assert result.exit_code == 2 and words in cli_flat(result), cli_flat(result)


def test_scenario_misspelt_keys_did_you_mean(tmp_path: Path) -> None:
    from placements.analysis.simulate.scenario import load_scenario

    bad = tmp_path / "typo.toml"
    bad.write_text("[demand]\nentry_multipler = 2\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_scenario(bad)
    assert "did you mean 'entry_multiplier'?" in info.value.problems[0].message
    bad.write_text("[policy.weights]\nper_mille = 2\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_scenario(bad)
    (p,) = info.value.problems
    assert p.column == "policy.weights.per_mille" and "did you mean 'per_mile'?" in p.message


# ---------------------------------------------------------------------------------------------
# cohort's problems report


def _return(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "header.csv").write_text("CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\nC1,1,01/02/2010,WBRI,,,\n")
    (root / "episodes.csv").write_text(
        "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"
        "C1,01/01/2023,S,C2,N1,U4,PR1,,,,NG7 2RD,NG5 6EA,\nC2,01/06/23,S,V2,N4,U6,PR1,,,,NG7 2RD,NG5 6EA,\n"
    )
    return root


def test_cohort_problems_report_is_named_after_the_cohort_and_touches_nothing_else(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run in a folder holding the user's own problems.csv, with --out naming a file there."""
    src = _return(tmp_path / "903")
    here = tmp_path / "work"
    here.mkdir()
    (here / "problems.csv").write_text("my own list\n", encoding="utf-8")
    monkeypatch.chdir(here)
    args = ["cohort", "--ssda903", str(src), "--as-of", "2024-03-31", "--la-code", "E06000018"]
    result = runner.invoke(app, [*args, "--out", "march.csv"])
    assert result.exit_code == 0, cli_flat(result)
    assert sorted(p.name for p in here.iterdir()) == ["march.csv", "march.problems.csv", "problems.csv"]
    assert (here / "problems.csv").read_text(encoding="utf-8") == "my own list\n"
    assert "two-digit year" in (here / "march.problems.csv").read_text(encoding="utf-8")
    # A second cohort beside it keeps its own report; the first is untouched.
    before = (here / "march.problems.csv").read_bytes()
    assert runner.invoke(app, [*args, "--out", "april.csv"]).exit_code == 0
    assert (here / "march.problems.csv").read_bytes() == before
    assert sorted(p.name for p in here.iterdir()) == [
        "april.csv", "april.problems.csv", "march.csv", "march.problems.csv", "problems.csv"
    ]  # fmt: skip


@pytest.mark.parametrize("where", ["folder", "inside-a-file"])
def test_cohort_out_that_cannot_be_a_file_fails_cleanly(tmp_path: Path, where: str) -> None:
    src = _return(tmp_path / "903")
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    out = tmp_path / "903" if where == "folder" else tmp_path / "afile" / "c.csv"
    result = runner.invoke(
        app, ["cohort", "--ssda903", str(src), "--as-of", "2024-03-31", "--la-code", "E06000018", "--out", str(out)]
    )
    assert result.exit_code == 2, cli_flat(result)  # not 1: a traceback
    assert "nothing was written" in cli_flat(result)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["903", "afile"]


# ---------------------------------------------------------------------------------------------
# match --ssda903 without --supplement


def test_match_from_ssda903_without_supplement_refuses_unless_whole_cohort(tmp_path: Path) -> None:
    src = _return(tmp_path / "903")
    places = tmp_path / "homes" / "places.csv"
    places.parent.mkdir()
    places.write_text(
        "place_id,setting,provider,postcode,vacancies,children_in_placement,age_min,age_max,sex,meets_needs,weekly_cost\n"
        "F1,foster,in_house,NG5 6EA,1,1,0,17,any,,450\n",
        encoding="utf-8",
    )
    args = ["match", "--ssda903", str(src), "--places", str(places), "--as-of", "2024-03-31", "--la-code", "E06000018"]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "without --supplement every child counts as placed and there is nobody to match" in cli_flat(result)
    assert not (tmp_path / "out").exists()
    result = runner.invoke(app, [*args, "--whole-cohort", "--out", str(tmp_path / "whole")])
    assert result.exit_code == 0, cli_flat(result)
    assert (tmp_path / "whole" / "matches.csv").exists()


# ---------------------------------------------------------------------------------------------
# --out naming an existing file


@pytest.mark.parametrize(
    "command",
    [
        ["match", str(DEMO)],
        ["conflicts", str(DEMO)],
        ["gaps", str(DEMO)],
        ["recruit", str(DEMO)],
        ["simulate", str(ROOT / "scenarios" / "baseline.toml")],
        ["backtest"],
        ["simulate-plot", str(DEMO)],
    ],
    ids=lambda c: c[0],
)
def test_out_naming_an_existing_file_fails_before_any_work(tmp_path: Path, command: list[str]) -> None:
    import time

    target = tmp_path / "yesterday.csv"
    target.write_text("kept\n", encoding="utf-8")
    t0 = time.perf_counter()
    result = runner.invoke(app, [*command, "--out", str(target)])
    assert result.exit_code == 2, cli_flat(result)
    assert f"{target}: --out names an existing file; give a folder" in cli_flat(result)
    assert time.perf_counter() - t0 < 20  # refused before reading, solving or simulating
    assert target.read_text(encoding="utf-8") == "kept\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["yesterday.csv"]


def test_output_that_cannot_be_written_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    target = tmp_path / "afile"
    target.write_text("kept\n", encoding="utf-8")
    result = runner.invoke(app, ["synth", "--profile", "nottingham", "--seed", "1", "--out", str(target)])
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit), cli_flat(result)
    assert f"{target}: is an existing file, not a folder" in cli_flat(result)
    assert target.read_text(encoding="utf-8") == "kept\n"


def test_a_file_that_cannot_replace_its_target_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    """Part-way through the move into place (here a folder where a file goes), not only at the start."""
    import typer

    from placements.cli.common import write

    out = tmp_path / "out"
    (out / "b.csv").mkdir(parents=True)
    with pytest.raises(typer.Exit) as info:
        write(out, {"a.csv": "a\n", "b.csv": "b\n"})
    assert info.value.exit_code == 2


# ---------------------------------------------------------------------------------------------
# --help and --version


COMMANDS = ["match", "synth", "cohort", "conflicts", "gaps", "recruit", "report", "simulate", "simulate-plot",
            "backtest", "bench"]  # fmt: skip


@pytest.mark.parametrize("command", COMMANDS)
def test_switches_show_as_switches_in_help(command: str) -> None:
    result = runner.invoke(app, [command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "<bool>" not in result.output and "BOOLEAN" not in result.output
    if command == "match":
        line = next(x for x in result.output.splitlines() if "--whole-cohort" in x)
        assert line.split()[0] == "--whole-cohort" and line.split()[1] == "match"


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"placements {version('placements')}\n"
