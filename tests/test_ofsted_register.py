"""Ofsted's provider-level table in: the published file, and small files in its layout with its quirks."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from placements.cli import app
from placements.errors import InputError
from placements.io import ofsted
from placements.io.case_folder import read_case_folder, read_places
from placements.match import match

PUBLISHED = Path("/work/shared/data/ofsted/provider-level-2023-03-31.csv")
HEADER = [
    "Web link", "URN", "Linked Education URN", "Provision type", "Registration date", "Registration status", "Name",
    "Address 1", "Address 2", "Town", "County", "Postcode", "Ofsted region", "Government Office Region",
    "Local authority", "Parliamentary constituency", "Sector", "Places", "Short-break-only children's home",
    "Multi-building children's home", "Organisation which owns the provider", "Latest full inspection event type",
    "Latest full inspection date", "Latest full inspection publication date", "Latest full inspection event number",
    "Overall experiences and progress of children and young people",
    "Outcomes in education and related learning activities", "Health services",
    "How well children and young people are helped and protected", "The effectiveness of leaders and managers", "", "",
]  # fmt: skip
RI = "Requires improvement to be good"


def row(urn: str, kind: str = "Children's home", la: str = "Nottingham", sector: str = "Private", places: str = "4",
        judgement: str = "Good", date: str = "02/11/2022", short: str = "", status: str = "Active") -> list[str]:  # fmt: skip
    cells = dict.fromkeys(HEADER[:30], "")
    cells.update({"Web link": "Ofsted Social Care Provider Webpage", "URN": urn, "Provision type": kind,
                  "Registration status": status, "Name": "REDACTED", "Address 1": "REDACTED", "Postcode": "REDACTED",
                  "Government Office Region": "East Midlands", "Local authority": la, "Sector": sector,
                  "Places": places, "Short-break-only children's home": short,
                  "Organisation which owns the provider": "Some Care Ltd", "Latest full inspection date": date,
                  "Overall experiences and progress of children and young people": judgement})  # fmt: skip
    return [cells[h] for h in HEADER[:30]] + ["", ""]


def published_layout(rows: list[list[str]], encoding: str = "utf-8-sig", cut: int = 0) -> bytes:
    """Three title lines, the header on line 4, the rows, blank rows at the end; CRLF, BOM."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["Children's social care data in England 2023 - Provider level as at 31 March 2023"] + [""] * 31)
    w.writerow(["This worksheet contains one table, this table begins in cell A4."] + [""] * 31)
    w.writerow(["Some cells in this table are empty."] + [""] * 31)
    w.writerow(HEADER)
    w.writerows(rows)
    w.writerows([[""] * 32] * 3)
    data = buf.getvalue().encode(encoding)
    return data[: len(data) - cut] if cut else data


@pytest.fixture
def quirky(tmp_path: Path) -> Path:
    rows = [
        row("SC000001"),
        row("SC000002", kind="Children's Home", judgement="Outstanding"),  # the other spelling
        row("SC000003", kind="Secure children's home", sector="Local Authority", places="8", judgement=RI),
        row(
            "SC000004",
            kind="Residential special school (registered as a children's home)",
            la="Nottinghamshire",
            sector="Voluntary",
            places="12",
            judgement="Inadequate",
        ),
        row("SC000005", kind="Independent Fostering Agency", places=""),  # not a home: counted, not kept
        row("SC000006", la="Gotham"),  # unknown authority: dropped and listed
        row("SC000007", judgement="Excellent"),  # kept, judgement blank, listed
        row("SC000001"),  # the same URN again: dropped and listed
        row("SC000008", places="four"),  # dropped and listed
        row("SC000009", date="", judgement=""),  # not yet inspected: kept
        row("SC000010", la="Derbyshire", short="Y"),
    ]
    path = tmp_path / "renamed-anything.csv"
    path.write_bytes(published_layout(rows))
    return path


def test_quirks_read_as_published(quirky: Path) -> None:
    reg = ofsted.read_register(quirky)
    assert list(reg.homes["urn"]) == [f"SC00000{i}" for i in (1, 2, 3, 4, 7, 9)] + ["SC000010"]
    kinds = dict(zip(reg.homes["urn"], reg.homes["provision"], strict=True))
    assert kinds["SC000002"] == "childrens_home" and kinds["SC000003"] == "secure_childrens_home"
    assert kinds["SC000004"] == "residential_special_school"
    assert reg.other_types == {"Independent Fostering Agency": 1}
    by_line = {(p.row, p.column): p.message for p in reg.problems}
    assert "'Gotham'" in by_line[(10, "Local authority")] and "not read" in by_line[(10, "Local authority")]
    assert "kept, rating blank" in by_line[(11, ofsted.OVERALL)]
    assert "also on line 5" in by_line[(12, "URN")]
    assert "'four'" in by_line[(13, "Places")]
    assert len(reg.problems) == 4
    ratings = dict(zip(reg.homes["urn"], reg.homes["rating"], strict=True))
    assert ratings["SC000003"] == "requires_improvement" and ratings["SC000007"] is None
    assert ratings["SC000009"] is None


def test_truncated_and_resaved_files(tmp_path: Path) -> None:
    rows = [row("SC000001"), row("SC000002", judgement="Inadequate")]
    cut = tmp_path / "cut.csv"
    data = published_layout(rows)
    cut.write_bytes(data[: data.index(b"SC000002") + 40])  # the last row cut part-way
    reg = ofsted.read_register(cut)
    assert list(reg.homes["urn"]) == ["SC000001"]
    assert [(p.row, "fields" in p.message) for p in reg.problems] == [(6, True)]
    resaved = tmp_path / "resaved.csv"  # Excel's "CSV" save: Windows-1252, no BOM, ISO dates
    resaved.write_bytes(published_layout([row("SC000001", date="2022-11-02")], encoding="cp1252"))
    reg = ofsted.read_register(resaved)
    assert reg.homes["rating_date"].iloc[0].isoformat() == "2022-11-02"


@pytest.mark.parametrize(
    "content, message",
    [
        (b"place_id,setting,provider\nF1,foster,in_house\n", "not Ofsted's provider-level table"),
        (b"", "not Ofsted's provider-level table"),
    ],
)
def test_not_the_table_is_refused(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "places.csv"
    path.write_bytes(content)
    with pytest.raises(InputError) as exc:
        ofsted.read_register(path)
    assert message in str(exc.value) and str(path) in str(exc.value)


def test_missing_column_is_refused_with_its_name(tmp_path: Path) -> None:
    data = published_layout([row("SC000001")]).replace(b",Places,", b",Beds,")
    path = tmp_path / "renamed-column.csv"
    path.write_bytes(data)
    with pytest.raises(InputError) as exc:
        ofsted.read_register(path)
    (problem,) = exc.value.problems
    assert (problem.row, problem.column, problem.message) == (4, "Places", "required column is missing")


def test_approximate_location_is_reproducible_and_inside_the_authority(quirky: Path) -> None:
    homes = ofsted.locate(ofsted.read_register(quirky))
    again = ofsted.locate(ofsted.read_register(quirky))
    pd.testing.assert_frame_equal(homes, again)
    assert homes["approximate"].all()
    assert ofsted.draw("SC000001", "E06000018") == ofsted.draw("SC000001", "E06000018")
    assert ofsted.draw("SC000001", "E06000018") != ofsted.draw("SC000002", "E06000018")
    from placements.io import postcodes

    for urn, code in (("SC000001", "E06000018"), ("SC000004", "E10000024"), ("X1", "E10000006")):
        pc, e, n, la = ofsted.draw(urn, code)
        loc = postcodes.lookup([pc])[pc]
        assert (loc.easting, loc.northing, loc.la_code) == (e, n, la)
        assert la in ofsted.directory_codes(code)


def test_command_writes_places_the_engine_reads(quirky: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "places.csv"
    result = CliRunner().invoke(
        app,
        [
            "register",
            "ofsted",
            str(quirky),
            "--la",
            "E06000018",
            "--la",
            "E10000024",
            "--out",
            str(out),
            "--assume-vacant",
        ],
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(frame["ofsted_urn"]) == ["SC000001", "SC000002", "SC000003", "SC000004", "SC000007", "SC000009"]
    assert set(frame["location_approximate"]) == {"yes"} and set(frame["postcode"]) == {""}
    assert frame.set_index("ofsted_urn").loc["SC000003", "vacancies"] == "8"
    problems = pd.read_csv(out.parent / "problems.csv")
    assert len(problems) == 4
    places, _, _ = read_places(out, [])
    assert len(places) == 6 and all(p.location_approximate for p in places)
    # A case folder of one child and these homes: the match says its distance is approximate.
    case = tmp_path / "case"
    case.mkdir()
    frame.to_csv(case / "places.csv", index=False)
    (case / "children.csv").write_text(
        "child_id,date_of_birth,sex,status,home_postcode,settings\nC1,2011-05-01,M,needs_placement,NG7 2RD,residential\n"
    )
    (case / "policy.toml").write_text('as_of = 2026-11-23\nla_code = "E06000018"\n')
    folder = read_case_folder(case)
    res = match(folder.instance, folder.policy)
    (home,) = res.assignment.values()
    assert frame.set_index("place_id").loc[home, "ofsted_rating"] in ("good", "outstanding", "")  # no RI, no inadequate
    assert res.matches["location_approximate"].tolist() == [True]
    assert res.shortlist["location_approximate"].all()
    assert "inadequate" not in set(res.shortlist["ofsted_rating"])


def test_vacancy_file(quirky: Path, tmp_path: Path) -> None:
    vac = tmp_path / "vacancies.csv"
    vac.write_text("URN,vacancies,age_min,age_max,weekly_cost\nSC000001,1,10,17,5200\nSC999999,2,,,\nSC000002,-1,,,\n")
    out = tmp_path / "o" / "places.csv"
    result = CliRunner().invoke(
        app, ["register", "ofsted", str(quirky), "--la", "E06000018", "--vacancies", str(vac), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out, dtype=str, keep_default_na=False).set_index("ofsted_urn")
    assert frame.loc["SC000001", ["vacancies", "age_min", "weekly_cost", "unconfirmed"]].tolist() == [
        "1", "10", "5200", "",
    ]  # fmt: skip
    assert frame.loc["SC000002", "vacancies"] == "" and "vacancies" in frame.loc["SC000002", "unconfirmed"]
    problems = pd.read_csv(out.parent / "problems.csv", dtype=str)
    mine = problems[problems["file"] == str(vac)]
    assert sorted(mine["row"]) == ["3", "4"]


def test_command_refuses_bad_input_and_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    out = tmp_path / "never" / "places.csv"
    result = CliRunner().invoke(app, ["register", "ofsted", str(bad), "--out", str(out)])
    assert result.exit_code == 2
    assert "not Ofsted's provider-level table" in result.output and "Traceback" not in result.output
    assert not out.parent.exists()
    result = CliRunner().invoke(app, ["register", "ofsted", str(bad), "--within-miles", "20", "--out", str(out)])
    assert result.exit_code == 2 and "--of" in result.output


@pytest.mark.skipif(not PUBLISHED.exists(), reason="the shared Ofsted file is not on this machine")
def test_the_published_file() -> None:
    """Figures of docs/ofsted.md: what the published table holds, read as a user would."""
    reg = ofsted.read_register(PUBLISHED)
    assert reg.problems == ()
    homes = reg.homes
    assert len(homes) == 2890 and homes["places"].sum() == 12774
    by_kind = homes.groupby("provision")["places"].agg(["count", "sum"])
    assert by_kind.loc["childrens_home"].tolist() == [2821, 11103]  # 2,814 "Children's home" + 7 "Children's Home"
    assert by_kind.loc["secure_childrens_home"].tolist() == [13, 214]
    assert by_kind.loc["residential_special_school"].tolist() == [56, 1457]
    em = homes[homes["region"] == "East Midlands"]
    assert len(em) == 327 and em["places"].sum() == 1604
    assert em["rating"].value_counts().to_dict() == {
        "good": 202, "outstanding": 65, "requires_improvement": 52, "inadequate": 8,
    }  # fmt: skip
    assert em.groupby("la_code").size().to_dict() == {
        "E06000015": 21, "E10000007": 58, "E06000016": 15, "E10000018": 59, "E10000019": 32, "E06000061": 27,
        "E06000018": 32, "E10000024": 54, "E06000017": 1, "E06000062": 28,
    }  # fmt: skip
