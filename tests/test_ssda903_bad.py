"""Bad SSDA903 data: one test per kind. Each names table, file, row and column, says what was done,
keeps what is sound, and refuses (exit 2, nothing written) only when nothing sensible remains."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from placements.cli import app
from placements.errors import InputError
from placements.io.ssda903.cohort import cohort
from placements.io.ssda903.read import Issue, read_ssda903

runner = CliRunner()
AS_OF = dt.date(2024, 3, 31)
LA = "E06000018"
HEADER = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n"
EPISODES = "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"
CLEAN_HEADER = "C1,1,01/02/2010,WBRI,,,\nC2,2,15/06/2008,WBRI,,,\n"
CLEAN_EPISODES = "C1,01/01/2023,S,C2,N1,U4,PR1,,,,NG7 2RD,NG5 6EA,\nC2,01/06/2023,S,V2,N4,U6,PR1,,,,NG7 2RD,NG5 6EA,\n"


def folder(tmp_path: Path, header: str = CLEAN_HEADER, episodes: str | None = CLEAN_EPISODES, **extra: str) -> Path:
    root = tmp_path / "903"
    root.mkdir()
    (root / "header.csv").write_text(HEADER + header)
    if episodes is not None:
        (root / "episodes.csv").write_text(EPISODES + episodes)
    for name, text in extra.items():
        (root / f"{name}.csv").write_text(text)
    return root


def only(issues: tuple[Issue, ...], column: str | None = None) -> Issue:
    found = [i for i in issues if column is None or i.column == column]
    assert len(found) == 1, issues
    return found[0]


def ids(root: Path) -> list[str]:
    return list(cohort(read_ssda903(root), AS_OF, LA).frame["child_id"])


def test_clean_base_has_no_issues(tmp_path: Path) -> None:
    root = folder(tmp_path)
    assert read_ssda903(root).issues == ()
    assert ids(root) == ["C1", "C2"]


def test_overlapping_episodes_end_where_the_next_begins(tmp_path: Path) -> None:
    # C1's first episode says it ran to 01/09/2023 but the next began 01/06/2023.
    root = folder(
        tmp_path,
        episodes="C1,01/01/2023,S,C2,N1,U4,PR1,01/09/2023,X1,,NG7 2RD,NG5 6EA,\n"
        "C1,01/06/2023,P,C2,N1,K2,PR4,,,,NG7 2RD,NG5 6EA,\nC2,01/06/2023,S,V2,N4,U6,PR1,,,,NG7 2RD,NG5 6EA,\n",
    )
    data = read_ssda903(root)
    i = only(data.issues)
    assert (i.table, Path(i.file).name, i.row, i.column) == ("Episodes", "episodes.csv", 2, "DEC")
    assert "overlap" in i.problem and i.action == "DEC read as 01/06/2023"
    c = cohort(data, AS_OF, LA).frame.set_index("child_id")
    assert list(c.index) == ["C1", "C2"]
    assert c.loc["C1", "place"] == "K2" and c.loc["C1", "placements_12m"] == 2


def test_an_open_episode_followed_by_another_is_an_overlap(tmp_path: Path) -> None:
    root = folder(
        tmp_path,
        episodes="C1,01/01/2023,S,C2,N1,U4,PR1,,,,NG7 2RD,NG5 6EA,\nC1,01/06/2023,P,C2,N1,K2,PR4,,,,NG7 2RD,NG5 6EA,\n",
    )
    i = only(read_ssda903(root).issues)
    assert i.row == 2 and "is open" in i.problem


def test_dec_before_decom_drops_the_episode(tmp_path: Path) -> None:
    root = folder(tmp_path, episodes=CLEAN_EPISODES + "C2,01/02/2024,P,V2,N4,K2,PR4,01/01/2024,E4A,,NG7 2RD,NG5 6EA,\n")
    data = read_ssda903(root)
    i = only(data.issues)
    assert (i.row, i.column, i.action) == (4, "DEC", "episode not read")
    assert "before DECOM" in i.problem
    assert ids(root) == ["C1", "C2"]  # C2's sound episode is kept


@pytest.mark.parametrize(
    ("place", "decom", "group"),
    [
        ("P2", "01/12/2023", "supported"),
        ("K3", "01/12/2023", "supported"),
        ("Z11", "01/12/2023", "other"),
        ("H5", "01/05/2025", "supported"),
        ("Z1", "01/05/2025", "other"),
    ],
)
def test_place_code_not_valid_in_its_year_is_kept_and_said(tmp_path: Path, place: str, decom: str, group: str) -> None:
    root = folder(tmp_path, episodes=f"C1,{decom},S,C2,N1,{place},PR4,,,,NG7 2RD,NG5 6EA,\n")
    data = read_ssda903(root)
    i = only(data.issues)
    assert (i.row, i.column) == (2, "PLACE")
    assert f"PLACE {place} is not valid for an episode beginning {decom}" in i.problem
    assert i.action == f"kept; read as {group}"
    day = dt.date(2025, 6, 1)
    assert cohort(data, day, LA).frame["placement_type"].tolist() == [group]


def test_unknown_place_code(tmp_path: Path) -> None:
    root = folder(tmp_path, episodes="C1,01/01/2023,S,C2,N1,XX,PR4,,,,NG7 2RD,NG5 6EA,\n")
    i = only(read_ssda903(root).issues)
    assert i.column == "PLACE" and "not an SSDA903 PLACE code" in i.problem
    assert ids(root) == ["C1"]


def test_missing_dob_keeps_the_child_with_age_unknown(tmp_path: Path) -> None:
    root = folder(tmp_path, header="C1,1,,WBRI,,,\nC2,2,15/06/2008,WBRI,,,\n")
    data = read_ssda903(root)
    i = only(data.issues)
    assert (i.table, i.row, i.column, i.problem) == ("Header", 2, "DOB", "DOB is blank")
    assert i.action == "kept; date of birth and age unknown"
    c = cohort(data, AS_OF, LA).frame.set_index("child_id")
    assert c.loc["C1", "age"] is None and c.loc["C2", "age"] == 15


def test_missing_dob_is_taken_from_another_table(tmp_path: Path) -> None:
    root = folder(
        tmp_path,
        header="C1,1,,WBRI,,,\nC2,2,15/06/2008,WBRI,,,\n",
        reviews="CHILD,DOB,REVIEW,REVIEW_CODE\nC1,01/02/2010,20/01/2023,PN1\n",
    )
    data = read_ssda903(root)
    i = only(data.issues)
    assert i.action.startswith("DOB taken from Reviews") and "line 2" in i.action
    assert cohort(data, AS_OF, LA).frame.set_index("child_id").loc["C1", "age"] == 14


def test_unparseable_decom_drops_the_episode(tmp_path: Path) -> None:
    root = folder(
        tmp_path,
        episodes="C1,2023/13/45,S,C2,N1,U4,PR1,,,,NG7 2RD,NG5 6EA,\nC2,01/06/2023,S,V2,N4,U6,PR1,,,,NG7 2RD,NG5 6EA,\n",
    )
    i = only(read_ssda903(root).issues)
    assert (i.row, i.column, i.action) == (2, "DECOM", "episode not read")
    assert "cannot read '2023/13/45' as a date" in i.problem
    assert ids(root) == ["C2"]


def test_impossible_date(tmp_path: Path) -> None:
    root = folder(tmp_path, header="C1,1,31/02/2010,WBRI,,,\nC2,2,15/06/2008,WBRI,,,\n")
    i = only(read_ssda903(root).issues)
    assert i.column == "DOB" and "impossible date '31/02/2010'" in i.problem


def test_unparseable_dec_reads_as_the_next_decom_or_drops_the_last(tmp_path: Path) -> None:
    root = folder(
        tmp_path,
        episodes="C1,01/01/2023,S,C2,N1,U4,PR1,soon,X1,,NG7 2RD,NG5 6EA,\n"
        "C1,01/06/2023,P,C2,N1,K2,PR4,,,,NG7 2RD,NG5 6EA,\n"
        "C2,01/06/2023,S,V2,N4,U6,PR1,last week,E4A,,NG7 2RD,NG5 6EA,\n",
    )
    data = read_ssda903(root)
    by_row = {i.row: i for i in data.issues}
    assert by_row[2].action == "DEC read as the next episode's DECOM 01/06/2023"
    assert by_row[4].action.startswith("episode not read")
    assert len(data.issues) == 2
    assert ids(root) == ["C1"]


def test_two_digit_years_are_never_guessed(tmp_path: Path) -> None:
    root = folder(
        tmp_path,
        episodes="C1,01/01/2023,S,C2,N1,U4,PR1,,,,NG7 2RD,NG5 6EA,\nC2,01/06/23,S,V2,N4,U6,PR1,,,,NG7 2RD,NG5 6EA,\n",
    )
    i = only(read_ssda903(root).issues)
    assert (i.row, i.column) == (3, "DECOM")
    assert i.problem == "two-digit year in '01/06/23': the century is not guessed"
    assert ids(root) == ["C1"]


def test_duplicate_child_in_header(tmp_path: Path) -> None:
    root = folder(tmp_path, header=CLEAN_HEADER + "C1,1,01/02/2011,WBRI,,,\nC2,2,15/06/2008,WBRI,,,\n")
    data = read_ssda903(root)
    by_row = {i.row: i for i in data.issues}
    assert set(by_row) == {4, 5}
    assert by_row[4].problem == "CHILD also on line 2 with different values"
    assert by_row[5].problem == "CHILD repeats line 3 exactly"
    assert by_row[4].action == "line 2 kept, this line not read"
    c = cohort(data, AS_OF, LA).frame.set_index("child_id")
    assert c.loc["C1", "date_of_birth"] == dt.date(2010, 2, 1)


def test_duplicated_header_line(tmp_path: Path) -> None:
    # Two exports pasted together: the header line appears again on line 3.
    root = folder(
        tmp_path,
        episodes="C1,01/01/2023,S,C2,N1,U4,PR1,,,,NG7 2RD,NG5 6EA,\n"
        + EPISODES
        + "C2,01/06/2023,S,V2,N4,U6,PR1,,,,NG7 2RD,NG5 6EA,\n",
    )
    i = only(read_ssda903(root).issues)
    assert (i.table, i.row, i.problem, i.action) == ("Episodes", 3, "the header line is repeated here", "line skipped")
    assert ids(root) == ["C1", "C2"]


def test_duplicated_column_in_header(tmp_path: Path) -> None:
    root = tmp_path / "903"
    root.mkdir()
    (root / "e.csv").write_text(
        EPISODES.replace("URN\n", "URN,DEC\n") + "C1,01/01/2023,S,C2,N1,U4,PR1,,,,NG7 2RD,NG5 6EA,,\n"
    )
    data = read_ssda903(root)
    assert any(i.column == "DEC" and "twice" in i.problem for i in data.issues)


def test_row_with_wrong_number_of_fields(tmp_path: Path) -> None:
    root = folder(tmp_path, episodes=CLEAN_EPISODES + "C3,01/06/2023,S\n")
    i = only(read_ssda903(root).issues)
    assert (i.row, i.action) == (4, "row not read") and "3 fields" in i.problem


def test_unrecognised_file_is_reported_not_dropped(tmp_path: Path) -> None:
    root = folder(
        tmp_path,
        notes="CHILD,NOTE\nC1,hello\n",
        partial="CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST\n",
    )
    data = read_ssda903(root)
    by_file = {Path(i.file).name: i for i in data.issues}
    assert by_file["notes.csv"].action == "file not read"
    assert by_file["partial.csv"].problem == "looks like Episodes but lacks PL_POST, URN"


def test_no_episodes_table_refuses_and_writes_nothing(tmp_path: Path) -> None:
    root = folder(tmp_path, episodes=None)
    with pytest.raises(InputError, match="no Episodes table found"):
        read_ssda903(root)
    out = tmp_path / "out" / "cohort.csv"
    res = runner.invoke(
        app, ["cohort", "--ssda903", str(root), "--as-of", "2024-03-31", "--out", str(out), "--la-code", LA]
    )
    assert res.exit_code == 2
    assert "no Episodes table found" in res.output and "tables found: Header" in res.output
    assert not out.parent.exists()


def test_no_readable_episode_refuses(tmp_path: Path) -> None:
    root = folder(tmp_path, episodes="C1,01/01/23,S,C2,N1,U4,PR1,,,,NG7 2RD,NG5 6EA,\n")
    with pytest.raises(InputError) as exc:
        read_ssda903(root)
    messages = [str(p) for p in exc.value.problems]
    assert "no episode in the Episodes table could be read" in messages[0]
    assert any("two-digit year" in m and "line 2" in m and "DECOM" in m for m in messages)


def test_missing_folder_refuses(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        read_ssda903(tmp_path / "nowhere")


def test_cohort_command_lists_problems_and_still_writes(tmp_path: Path) -> None:
    root = folder(tmp_path, episodes=CLEAN_EPISODES + "C3,01/06/23,S,V2,N4,U6,PR1,,,,NG7 2RD,NG5 6EA,\n")
    out = tmp_path / "out" / "c.csv"
    res = runner.invoke(
        app, ["cohort", "--ssda903", str(root), "--as-of", "2024-03-31", "--out", str(out), "--la-code", LA]
    )
    assert res.exit_code == 0, res.output
    problems = pd.read_csv(out.parent / f"{out.stem}.problems.csv", dtype=str, keep_default_na=False)
    assert problems.to_dict("records") == [
        {
            "table": "Episodes",
            "file": str(root / "episodes.csv"),
            "row": "4",
            "column": "DECOM",
            "problem": "two-digit year in '01/06/23': the century is not guessed",
            "action": "episode not read",
        }
    ]
    assert "two-digit year" in res.output


def test_unreadable_social_worker_end(tmp_path: Path) -> None:
    root = folder(
        tmp_path, sw="CHILD,DOB,SW_ID,SW_DECOM,SW_DEC,SW_REASON\nC1,,SW1,01/01/2023,1/1/24x,\nC1,,SW2,01/01/2023,,\n"
    )
    data = read_ssda903(root)
    i = only(data.issues)
    assert (i.table, i.row, i.column, i.action) == ("SWEpisodes", 2, "SW_DEC", "row not read")
    assert cohort(data, AS_OF, LA).frame.set_index("child_id").loc["C1", "social_workers_12m"] == 1


def test_excel_trailing_columns_and_lower_case_headers_are_read(tmp_path: Path) -> None:
    root = tmp_path / "903"
    root.mkdir()
    (root / "a.csv").write_text(EPISODES.lower().replace("\n", ",,\n") + CLEAN_EPISODES.replace("\n", ",,\n"))
    data = read_ssda903(root)
    # The only issue is the missing Header table; the unnamed columns and lower case pass quietly.
    assert [(i.table, i.problem) for i in data.issues] == [("Header", "no Header table found")]
    assert ids(root) == ["C1", "C2"]
