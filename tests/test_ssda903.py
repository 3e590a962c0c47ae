"""SSDA903 in and out: files written by other tools, the cohort, the writer and round trip, and a match.

The "other tools" returns are written here by hand, as a case system would export them, and every
expected figure is computed by hand in the comments beside it, from the episodes themselves.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from placements.cli import app
from placements.io.ssda903.cohort import cohort
from placements.io.ssda903.read import read_ssda903
from placements.io.ssda903.schema import DATE_COLUMNS, TABLES
from placements.io.ssda903.write import write_tables

runner = CliRunner()
NOTTINGHAM = "E06000018"
DERBY = "E06000015"

HEADER = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n"
EPISODES = "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"
REVIEWS = "CHILD,DOB,REVIEW,REVIEW_CODE\n"
SWEPISODES = "CHILD,DOB,SW_ID,SW_DECOM,SW_DEC,SW_REASON\n"


def put(folder: Path, name: str, text: str, bom: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(("\ufeff" if bom else "") + text, encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------
# A two-year DfE return as a case system exports it: DD/MM/YYYY, SEX 1/2, old PLACE codes (P2,
# H5, Z1), invented postcodes, file names that say nothing, one episode repeated across years.


def other_tools_return(root: Path) -> Path:
    y1 = root / "903_2022-23"
    y2 = root / "903_2023-24"
    put(
        y1,
        "export (1).csv",
        HEADER + "C1,1,01/02/2010,WBRI,,,\nC2,2,10/10/2006,MWBC,,,\nC5,1,03/03/2012,WBRI,,,\nC8,2,04/04/2009,BAFR,,,\n",
        bom=True,
    )
    put(
        y1,
        "export (2).csv",
        EPISODES
        + "C1,01/06/2022,S,C2,N1,U4,PR1,,,,NG7 2RD,NG5 6EA,\n"
        + "C2,03/01/2023,S,V2,N4,P2,PR4,,,,NG5 6EA,ZZ9 9ZZ,\n"
        + "C5,01/05/2022,S,V2,N5,U6,PR1,01/12/2022,E4A,,NG7 2RD,NG5 6EA,\n"
        + "C8,01/01/2023,S,C1,N1,K2,PR4,,,,NG7 2RD,DN22 0DJ,SC111\n",
    )
    put(
        y1,
        "export (3).csv",
        REVIEWS
        + "C1,01/02/2010,28/06/2022,PN1\nC1,01/02/2010,20/09/2022,PN1\nC1,01/02/2010,15/03/2023,PN1\nC8,04/04/2009,20/01/2023,PN1\n",
    )
    put(
        y2,
        "hdr.csv",
        HEADER
        + "C1,1,01/02/2010,WBRI,,,\nC2,2,10/10/2006,MWBC,,,\nC3,1,05/05/2007,WBRI,,,\n"
        + "C4,2,12/12/2012,WIRI,,,\nC6,2,01/03/2024,WBRI,,,\nC7,1,07/07/2011,ABAN,,,\nC8,2,04/04/2009,BAFR,,,\n",
    )
    put(
        y2,
        "episodes.csv",
        EPISODES
        # C1's first episode again, now closed: the reader keeps this row (latest non-blank DEC).
        + "C1,01/06/2022,S,C2,N1,U4,PR1,15/08/2023,X1,CARPL,NG7 2RD,NG5 6EA,\n"
        + "C1,15/08/2023,P,C2,N1,U6,PR4,,,,NG7 2RD,NG5 6EA,\n"
        + "C2,03/01/2023,S,V2,N4,P2,PR4,,,,NG5 6EA,ZZ9 9ZZ,\n"
        + "C3,01/11/2023,S,V2,N4,H5,PR4,01/02/2024,E5,,NG7 2RD,NG5 6EA,SC222\n"
        + "C4,01/04/2023,S,V2,N2,Z1,PR3,,,,NG7 2RD,NG7 2RD,\n"
        + "C6,31/03/2024,S,V2,N1,U6,PR1,,,,ZZ1 2YY,NG5 6EA,\n"
        + "C7,01/01/2024,S,V2,N4,U6,PR1,31/03/2024,E4A,,NG7 2RD,NG5 6EA,\n"
        + "C8,01/01/2023,S,C1,N1,K2,PR4,01/05/2023,X1,LAREQ,NG7 2RD,DN22 0DJ,SC111\n"
        + "C8,01/05/2023,P,C2,N1,U6,PR4,01/09/2023,X1,,NG7 2RD,NG5 6EA,\n"
        + "C8,01/09/2023,L,C2,N1,U6,PR4,01/11/2023,X1,CREQB,NG7 2RD,NG5 6EA,\n"
        + "C8,01/11/2023,P,C2,N1,K2,PR4,,,,NG7 2RD,DN22 0DJ,SC111\n",
    )
    put(
        y2,
        "reviews.csv",
        REVIEWS
        + "C1,01/02/2010,15/03/2023,PN1\nC1,01/02/2010,01/09/2023,PN1\n"
        + "C4,12/12/2012,25/04/2023,PN1\nC4,12/12/2012,20/07/2023,PN1\nC4,12/12/2012,15/01/2024,PN1\n"
        + "C8,04/04/2009,10/04/2023,PN1\nC8,04/04/2009,01/10/2023,PN1\n",
    )
    put(
        y2,
        "sw.csv",
        SWEPISODES
        + "C8,04/04/2009,SW1,01/01/2023,01/03/2023,\nC8,04/04/2009,SW2,01/03/2023,01/06/2023,\n"
        + "C8,04/04/2009,SW3,01/06/2023,01/01/2024,\nC8,04/04/2009,SW4,01/01/2024,,\n"
        + "C1,01/02/2010,SW9,01/06/2022,,\n",
    )
    return root


AS_OF = dt.date(2024, 3, 31)


def test_other_tools_return_cohort_counts_by_hand(tmp_path: Path) -> None:
    data = read_ssda903(other_tools_return(tmp_path))
    built = cohort(data, AS_OF, NOTTINGHAM)
    c = built.frame.set_index("child_id")

    # Looked after on 31/03/2024 (an episode with DECOM <= 31/03/2024 and DEC blank or later):
    #   C1  episode of 15/08/2023, open                                   -> counts
    #   C2  episode of 03/01/2023, open in both years                     -> counts
    #   C3  left on 01/02/2024                                            -> no
    #   C4  episode of 01/04/2023, open                                   -> counts
    #   C5  left on 01/12/2022                                            -> no
    #   C6  began on 31/03/2024 itself (DECOM <= d)                       -> counts
    #   C7  DEC 31/03/2024 is not after d                                 -> no
    #   C8  episode of 01/11/2023, open                                   -> counts
    assert list(c.index) == ["C1", "C2", "C4", "C6", "C8"]

    # Codes across years: SEX 1/2 read as M/F; P2 (before 28/10/2023) is supported accommodation,
    # Z1 "other"; U6 foster; K2 a children's home.
    assert c["sex"].to_dict() == {"C1": "M", "C2": "F", "C4": "F", "C6": "F", "C8": "F"}
    assert c["placement_type"].to_dict() == {
        "C1": "foster",
        "C2": "supported",
        "C4": "other",
        "C6": "foster",
        "C8": "childrens_home",
    }

    # Placement start: C8's episode of 01/11/2023 is a new placement (RNE P); C1's of 15/08/2023 too.
    assert c.loc["C8", "placement_start"] == dt.date(2023, 11, 1)
    assert c.loc["C1", "placement_start"] == dt.date(2023, 8, 15)
    assert c.loc["C1", "period_start"] == dt.date(2022, 6, 1)  # the repeated episode joined up

    # Placements in the 12 months 01/04/2023-31/03/2024:
    #   C1  U4 (to 15/08/2023) + U6 = 2
    #   C8  K2 (to 01/05/2023, so it covers April) + U6 from 01/05/2023 (the L episode of
    #       01/09/2023 changes legal status only, same placement) + K2 from 01/11/2023 = 3
    #   C2, C4, C6: one each
    assert c["placements_12m"].to_dict() == {"C1": 2, "C2": 1, "C4": 1, "C6": 1, "C8": 3}

    # Social workers in the 12 months: C8 had SW2 (to 01/06/2023), SW3, SW4; SW1 ended 01/03/2023.
    assert c["social_workers_12m"].to_dict() == {"C1": 1, "C2": 0, "C4": 0, "C6": 0, "C8": 3}

    # Distance (DfE formula, to 0.1 mile):
    #   C1  NG7 2RD (454555, 338416) -> NG5 6EA (457122, 344647): sqrt(2567^2 + 6231^2) = 6739 m = 4.2 mi
    #   C8  NG7 2RD -> DN22 0DJ (478388, 381289): sqrt(23833^2 + 42873^2) = 49052 m = 30.5 mi
    #   C4  the same postcode: 0.0
    #   C2  placement postcode ZZ9 9ZZ invented; C6 home postcode ZZ1 2YY invented: unknown
    miles = c["distance_miles"].to_dict()
    assert miles == {"C1": 4.2, "C2": None, "C4": 0.0, "C6": None, "C8": 30.5}
    # In area: NG5 6EA and NG7 2RD are Nottingham (E06000018), DN22 0DJ Bassetlaw; C2's unknown.
    assert c["in_area"].to_dict() == {"C1": True, "C2": None, "C4": True, "C6": True, "C8": False}

    # Reviews (first within 20 working days, second within 3 months, then 6-monthly):
    #   C1  held 28/06/2022, 20/09/2022, 15/03/2023 (in both years), 01/09/2023: next by 01/03/2024 -> overdue
    #   C2  entered 03/01/2023, no review: first due early February 2023 -> overdue
    #   C4  held 25/04/2023, 20/07/2023, 15/01/2024: next by 15/07/2024 -> in time
    #   C6  entered 31/03/2024: first review not yet due -> in time
    #   C8  held 20/01/2023, 10/04/2023, 01/10/2023: next by 01/04/2024 -> in time
    assert c["review_overdue"].to_dict() == {"C1": True, "C2": True, "C4": False, "C6": False, "C8": False}
    assert c.loc["C1", "last_review"] == dt.date(2023, 9, 1)
    assert c.loc["C1", "next_review_due"] == dt.date(2024, 3, 1)

    # Rows repeated across the two years and merged: Header rows of C1, C2 and C8 (3); the first
    # episodes of C1, C2 and C8 (3); C1's review of 15/03/2023 (1): 7 in all.
    assert data.repeats_merged == 7
    # The only problems are the two invented postcodes, each named with file, line and column.
    problems = {(Path(i.file).name, i.row, i.column) for i in (*data.issues, *built.issues)}
    assert problems == {("episodes.csv", 4, "PL_POST"), ("episodes.csv", 7, "HOME_POST")}


def test_cohort_command_writes_cohort_and_problems(tmp_path: Path) -> None:
    src = other_tools_return(tmp_path / "in")
    out = tmp_path / "out" / "cohort.csv"
    res = runner.invoke(
        app, ["cohort", "--ssda903", str(src), "--as-of", "2024-03-31", "--out", str(out), "--la-code", NOTTINGHAM]
    )
    assert res.exit_code == 0, res.output
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(frame["child_id"]) == ["C1", "C2", "C4", "C6", "C8"]
    assert frame.set_index("child_id").loc["C2", "distance_miles"] == ""  # blank, not 999.9
    problems = pd.read_csv(out.parent / f"{out.stem}.problems.csv", dtype=str, keep_default_na=False)
    assert list(problems.columns) == ["table", "file", "row", "column", "problem", "action"]
    assert sorted(problems["column"]) == ["HOME_POST", "PL_POST"]
    assert "not in the ONS Postcode Directory" in problems["problem"].iloc[0]


def test_cohort_without_an_la_code_takes_the_most_common_home_authority(tmp_path: Path) -> None:
    src = other_tools_return(tmp_path / "in")
    out = tmp_path / "out" / "cohort.csv"
    res = runner.invoke(app, ["cohort", "--ssda903", str(src), "--as-of", "2024-03-31", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert f"Responsible authority: {NOTTINGHAM} (the most common authority of the children's home postcodes" in (
        " ".join(res.output.split())
    )
    given = tmp_path / "given" / "cohort.csv"
    runner.invoke(app, ["cohort", "--ssda903", str(src), "--as-of", "2024-03-31", "--out", str(given),
                        "--la-code", NOTTINGHAM])  # fmt: skip
    assert out.read_text() == given.read_text()


def test_cohort_takes_the_authority_from_policy_toml(tmp_path: Path) -> None:
    src = other_tools_return(tmp_path / "in")
    (src / "policy.toml").write_text('la_code = "E10000024"\n')
    out = tmp_path / "out" / "cohort.csv"
    res = runner.invoke(app, ["cohort", "--ssda903", str(src), "--as-of", "2024-03-31", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "E10000024 (from" in res.output and "policy.toml" in res.output
    assert set(pd.read_csv(out, dtype=str)["responsible_la"]) == {"E10000024"}


def test_cohort_needs_an_authority_when_nothing_gives_one(tmp_path: Path) -> None:
    root = tmp_path / "in"
    put(root, "e.csv", EPISODES + "1,01/02/2023,S,C2,N1,U4,PR1,,,,,,\n")
    out = tmp_path / "out" / "cohort.csv"
    res = runner.invoke(app, ["cohort", "--ssda903", str(root), "--as-of", "2024-03-31", "--out", str(out)])
    assert res.exit_code == 2
    assert "--la-code" in res.output and "no HOME_POST" in res.output
    assert not out.parent.exists()


# ---------------------------------------------------------------------------------------------
# The regional (LIIA-style) variant: ISO dates, LA and YEAR columns, postcode sectors, dates of
# birth to the month, M/F sex, two authorities whose CHILD ids collide.


def regional_return(root: Path) -> Path:
    la = "LA,YEAR,"
    put(
        root,
        "header.csv",
        la
        + HEADER.replace("\n", "")
        + "\n"
        + f"{NOTTINGHAM},2025,1,M,2008-05-01,WBRI,,,\n{DERBY},2025,1,F,2014-01-01,WBRI,,,\n"
        + f"{DERBY},2025,2,M,2010-07-01,WBRI,,,\n{NOTTINGHAM},2025,2,F,2012-02-01,WBRI,,,\n",
    )
    put(
        root,
        "episodes.csv",
        la
        + EPISODES.replace("\n", "")
        + "\n"
        # Nottingham's child 1: K3 from 01/06/2024 (valid from 2024/25) in Derby: out of area.
        + f"{NOTTINGHAM},2025,1,2024-06-01,S,V2,N4,K3,PR4,,,,NG7 2,DE1 1,SC3\n"
        # Derby's child 1: U4 near home, in area.
        + f"{DERBY},2025,1,2023-02-01,S,C2,N1,U4,PR1,,,,DE1 1,DE1 1,\n"
        # Derby's child 2: ceased 01/01/2025.
        + f"{DERBY},2025,2,2024-05-01,S,V2,N4,U6,PR1,2025-01-01,E13,,DE1 1,DE1 1,\n"
        # Nottingham's child 2: starts after 31/03/2025.
        + f"{NOTTINGHAM},2026,2,2025-04-02,S,V2,N4,U6,PR1,,,,NG7 2,NG7 2,\n",
    )
    return root


def test_regional_iso_variant_by_hand(tmp_path: Path) -> None:
    data = read_ssda903(regional_return(tmp_path))
    assert data.regional
    built = cohort(data, dt.date(2025, 3, 31))  # no --la-code: the LA column holds ONS codes
    c = built.frame.set_index("child_id")
    # Looked after on 31/03/2025: Nottingham's 1 and Derby's 1 (Derby's 2 left 01/01/2025,
    # Nottingham's 2 starts 02/04/2025). The same CHILD "1" in two authorities stays two children.
    assert list(c.index) == [f"{DERBY}:1", f"{NOTTINGHAM}:1"]
    assert c.loc[f"{NOTTINGHAM}:1", "placement_type"] == "supported"
    assert c.loc[f"{NOTTINGHAM}:1", "in_area"] is False  # DE1 1 is Derby
    assert c.loc[f"{DERBY}:1", "in_area"] is True
    assert c.loc[f"{DERBY}:1", "distance_miles"] == 0.0  # same sector
    assert c.loc[f"{NOTTINGHAM}:1", "distance_miles"] > 10  # Nottingham to Derby, sector centres
    assert c.loc[f"{NOTTINGHAM}:1", "age"] == 16  # born May 2008 (to the month)
    assert data.issues == () and built.issues == ()


def test_regional_la_names(tmp_path: Path) -> None:
    """An LA column of one authority's name gives its code; a name no authority has gives nothing."""
    for name, code in (("Barnet", 0), ("Gotham", 2)):
        root = tmp_path / name
        put(
            root,
            "e.csv",
            "LA,YEAR," + EPISODES.replace("\n", "") + "\n" + f"{name},2024,1,2023-02-01,S,C2,N1,U4,PR1,,,,,,\n",
        )
        res = runner.invoke(
            app, ["cohort", "--ssda903", str(root), "--as-of", "2024-03-31", "--out", str(tmp_path / name / "o.csv")]
        )
        assert res.exit_code == code and name in res.output, res.output
        if code == 0:
            assert "E09000003 (from the LA column: Barnet)" in res.output


# ---------------------------------------------------------------------------------------------
# Writer and round trip, independent of any Instance.


def generated_tables(seed: int = 3, n: int = 40) -> dict[str, pd.DataFrame]:
    """A small seeded history: chains of episodes with valid codes, reviews, social workers, UASC."""
    rng = np.random.default_rng(seed)
    start = dt.date(2019, 4, 1)
    header, eps, reviews, sws, uasc = [], [], [], [], []
    for i in range(n):
        child = f"{1000 + i}"
        dob = start - dt.timedelta(days=int(rng.integers(200, 6000)))
        header.append(
            {
                "CHILD": child,
                "SEX": str(rng.choice(["1", "2"])),
                "DOB": dob,
                "ETHNIC": "WBRI",
                "UPN": None,
                "MOTHER": None,
                "MC_DOB": None,
            }
        )
        day = start + dt.timedelta(days=int(rng.integers(0, 900)))
        rne = "S"
        for k in range(int(rng.integers(1, 4))):
            length = int(rng.integers(30, 700))
            dec = day + dt.timedelta(days=length)
            last = k == 2 or rng.random() < 0.3
            open_ = last and rng.random() < 0.6
            eps.append(
                {
                    "CHILD": child,
                    "DECOM": day,
                    "RNE": rne,
                    "LS": "C2",
                    "CIN": "N1",
                    "PLACE": str(rng.choice(["U4", "U6", "K2", "U1", "P1"])),
                    "PLACE_PROVIDER": str(rng.choice(["PR1", "PR4"])),
                    "DEC": None if open_ else dec,
                    "REC": None if open_ else ("E4A" if last else "X1"),
                    "REASON_PLACE_CHANGE": None,
                    "HOME_POST": "NG7 2RD",
                    "PL_POST": str(rng.choice(["NG5 6EA", "DN22 0DJ"])),
                    "URN": None,
                }
            )
            reviews.append({"CHILD": child, "DOB": dob, "REVIEW": day + dt.timedelta(days=15), "REVIEW_CODE": "PN1"})
            if last:
                break
            day, rne = dec, str(rng.choice(["P", "L", "B"]))
        sws.append(
            {"CHILD": child, "DOB": dob, "SW_ID": f"SW{i % 7}", "SW_DECOM": start, "SW_DEC": None, "SW_REASON": None}
        )
        if i % 9 == 0:
            uasc.append({"CHILD": child, "SEX": "1", "DOB": dob, "DUC": None})
    return {
        "Header": pd.DataFrame(header),
        "Episodes": pd.DataFrame(eps),
        "Reviews": pd.DataFrame(reviews),
        "SWEpisodes": pd.DataFrame(sws),
        "UASC": pd.DataFrame(uasc),
    }


def _normalised(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    out = frame[list(TABLES[name])].copy().astype(object)
    return out.where(out.notna(), None).reset_index(drop=True)


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    keys = [c for c in frame.columns if c in ("CHILD", "DECOM", "REVIEW", "SW_DECOM")]
    return frame.sort_values(keys, kind="stable").reset_index(drop=True)


def test_write_then_read_gives_the_same_tables_and_cohort(tmp_path: Path) -> None:
    tables = generated_tables()
    written = write_tables(tables, tmp_path / "dfe")
    assert sorted(p.name for p in written) == sorted(f"{n}.csv" for n in tables)
    assert (tmp_path / "dfe" / "Episodes.csv").read_text().splitlines()[0] == ",".join(TABLES["Episodes"])
    # The regional variant: ISO dates, LA and YEAR first.
    regional = {k: v.assign(LA=NOTTINGHAM, YEAR="2024") for k, v in tables.items()}
    write_tables(regional, tmp_path / "iso", date_format="%Y-%m-%d", regional=True)
    assert (tmp_path / "iso" / "Header.csv").read_text().splitlines()[0].startswith("LA,YEAR,CHILD")

    dfe = read_ssda903(tmp_path / "dfe")
    iso = read_ssda903(tmp_path / "iso")
    assert dfe.issues == () and iso.issues == ()
    for name, frame in tables.items():
        expected = _sorted(_normalised(frame, name))
        pd.testing.assert_frame_equal(_sorted(_normalised(dfe.frame(name), name)), expected)
        pd.testing.assert_frame_equal(_sorted(_normalised(iso.frame(name), name)), expected)
    for day in (dt.date(2020, 3, 31), dt.date(2021, 3, 31), dt.date(2022, 9, 30)):
        a = cohort(dfe, day, NOTTINGHAM).frame.drop(columns=["LA", "_file", "_line"])
        b = cohort(iso, day, None).frame.drop(columns=["LA", "_file", "_line"])
        pd.testing.assert_frame_equal(a, b)
        # The cohort is exactly the children with an episode open on the day, counted directly.
        e = tables["Episodes"]
        open_ = e[(e["DECOM"] <= day) & (e["DEC"].isna() | e["DEC"].map(lambda d, day=day: d is not None and d > day))]
        assert sorted(a["child_id"]) == sorted(set(open_["CHILD"]))
        assert len(a) > 5


def test_writer_refuses_unknown_columns(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="NAME"):
        write_tables({"Header": pd.DataFrame({"CHILD": ["1"], "NAME": ["x"]})}, tmp_path / "w")
    assert not (tmp_path / "w").exists()


def test_writer_dates_are_dd_mm_yyyy(tmp_path: Path) -> None:
    frame = pd.DataFrame({"CHILD": ["1", "2"], "SEX": ["M", "F"], "DOB": [dt.date(2010, 1, 2), pd.NaT]})
    frame.loc[0, "DOB"] = pd.Timestamp("2010-01-02")
    write_tables({"Header": frame}, tmp_path)
    assert (tmp_path / "Header.csv").read_text().splitlines()[1:] == ["1,M,02/01/2010,,,,", "2,F,,,,,"]
    assert set(DATE_COLUMNS) == set(TABLES)


# ---------------------------------------------------------------------------------------------
# From SSDA903 to a match.

PLACES = (
    "place_id,setting,provider,postcode,vacancies,children_in_placement,age_min,age_max,sex,meets_needs,weekly_cost\n"
    "F1,foster,in_house,NG5 6EA,1,1,0,17,any,emotional_behavioural,450\n"
    "S1,supported,private,DN22 0DJ,1,0,16,17,any,,700\n"
)


def match_inputs(tmp_path: Path, supplement: str) -> list[str]:
    src = other_tools_return(tmp_path / "903")
    put(tmp_path / "homes", "places.csv", PLACES)
    sup = put(tmp_path / "case", "supplement.csv", supplement)
    return [
        "match",
        "--ssda903",
        str(src),
        "--supplement",
        str(sup),
        "--places",
        str(tmp_path / "homes" / "places.csv"),
        "--as-of",
        "2024-03-31",
        "--la-code",
        NOTTINGHAM,
        "--out",
        str(tmp_path / "out"),
    ]


def test_match_runs_straight_from_the_return(tmp_path: Path) -> None:
    args = match_inputs(
        tmp_path,
        "CHILD,status,urgency,settings,needs,permanence_plan,current_place_id\n"
        "C2,needs_placement,,supported,,independence,\n"
        "C6,needs_placement,emergency,,,,\n"
        "C1,placed,,,emotional_behavioural,long_term_foster,F1\n",
    )
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    matches = pd.read_csv(tmp_path / "out" / "matches.csv", dtype=str).set_index("child_id")
    # Two children need a home: C2 (17, supported only) takes S1; C6 (a baby) the foster home F1.
    assert matches["place_id"].to_dict() == {"C2": "S1", "C6": "F1"}
    import json

    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["needing_placement"] == 2 and summary["placed"] == 2


def test_match_supplement_errors_name_file_line_and_column(tmp_path: Path) -> None:
    args = match_inputs(tmp_path, "CHILD,status\nC2,needs_placement\nC3,needs_placement\nC2,placed\n")
    res = runner.invoke(app, args)
    assert res.exit_code == 2
    sup = str(tmp_path / "case" / "supplement.csv")
    # C3 left care on 01/02/2024; C2 appears twice.
    assert f"{sup}, line 3, column CHILD: CHILD 'C3' is not looked after on 2024-03-31" in res.output
    assert f"{sup}, line 4, column CHILD: CHILD 'C2' is also on line 2" in res.output
    assert not (tmp_path / "out").exists()


def test_match_needs_a_date_of_birth_for_every_child(tmp_path: Path) -> None:
    args = match_inputs(tmp_path, "CHILD,status\nC2,needs_placement\n")
    hdr = tmp_path / "903" / "903_2023-24" / "hdr.csv"
    hdr.write_text(hdr.read_text().replace("C6,2,01/03/2024", "C6,2,"))
    res = runner.invoke(app, args)
    assert res.exit_code == 2
    assert f"{hdr}, line 6, column DOB: child C6: date of birth unknown" in res.output
    # Given in the supplement, it fills the gap.
    (tmp_path / "case" / "supplement.csv").write_text(
        "CHILD,status,date_of_birth\nC2,needs_placement,\nC6,placed,2024-03-01\n"
    )
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output


# ---------------------------------------------------------------------------------------------
# The synthetic authority: synth -> SSDA903 -> reader -> the same cohort as the case folder.


def _iso(value: object) -> str:
    return value.isoformat() if isinstance(value, dt.date) else ""


@pytest.mark.parametrize("scale", [0.2, pytest.param(1.0, marks=pytest.mark.slow)])
def test_synthetic_history_reads_back_as_the_case_folder(tmp_path: Path, scale: float) -> None:
    import tomllib

    from placements.io.writers import write_files
    from placements.synth.generate import HISTORY_DIR, generate

    day = dt.date(2026, 11, 23)
    files = generate("nottingham", 1, day, scale=scale)
    write_files(tmp_path, {k: v for k, v in files.items() if "/" not in k})
    write_files(tmp_path / HISTORY_DIR, {k.split("/", 1)[1]: v for k, v in files.items() if "/" in k})
    la = tomllib.loads((tmp_path / "policy.toml").read_text())["la_code"]

    data = read_ssda903(tmp_path / HISTORY_DIR)
    assert data.issues == ()
    built = cohort(data, day, la)
    c = built.frame.set_index("child_id")
    kids = pd.read_csv(tmp_path / "children.csv", dtype=str, keep_default_na=False).set_index("child_id")
    places = pd.read_csv(tmp_path / "places.csv", dtype=str, keep_default_na=False).set_index("place_id")

    # The children looked after on the as-of date are exactly the case folder's children ...
    assert sorted(c.index) == sorted(kids.index) and len(c) > 100
    k = kids.loc[c.index]
    # ... with the same dates of birth, sex, home postcode, entry to care and reviews ...
    assert list(k["date_of_birth"]) == [_iso(v) for v in c["date_of_birth"]]
    assert list(k["sex"]) == list(c["sex"])
    assert list(k["home_postcode"]) == [v or "" for v in c["home_postcode"]]
    assert list(k["entered_care_date"]) == [_iso(v) for v in c["period_start"]]
    assert list(k["last_review_date"]) == [_iso(v) for v in c["last_review"]]
    assert [";".join(sorted(s.split(";"))) if s else "" for s in k["review_dates"]] == [
        ";".join(d.isoformat() for d in t) for t in c["_reviews"]
    ]
    # ... and a child living in a home of the register is placed there: its postcode and setting.
    housed = k["current_place_id"] != ""
    home = places.loc[k.loc[housed, "current_place_id"]]
    assert list(home["postcode"]) == list(c.loc[housed, "placement_postcode"])
    assert list(home["setting"]) == list(c.loc[housed, "setting"])


def test_match_ssda903_options_go_together(tmp_path: Path) -> None:
    res = runner.invoke(app, ["match", "--places", str(tmp_path / "places.csv"), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "go with --ssda903" in res.output
    src = other_tools_return(tmp_path / "903")
    res = runner.invoke(app, ["match", str(tmp_path), "--ssda903", str(src), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "not both" in res.output and "--ssda903 needs --places" in res.output
    assert not (tmp_path / "o").exists()
