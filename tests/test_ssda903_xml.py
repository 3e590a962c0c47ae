"""SSDA903 as the DfE's XML: the same cohort as from the CSV of the same return, another tool's file, bad files."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from placements.cli import app
from placements.errors import InputError
from placements.io.ssda903.cohort import cohort, cohort_csv
from placements.io.ssda903.read import issues_frame, read_ssda903
from placements.io.ssda903.write import write_tables
from placements.io.ssda903.xml import tables_xml
from placements.io.writers import write_files

FIXTURE = Path(__file__).parent / "data" / "ssda903_xml" / "validator_fake_903.xml"
NOTTINGHAM = "E06000018"
DAY = dt.date(2026, 11, 23)
#: Five dates across the five years of history, one on the as-of date itself.
DATES = [dt.date(2022, 3, 31), dt.date(2023, 3, 31), dt.date(2024, 10, 27), dt.date(2025, 6, 1), DAY]


@pytest.fixture(scope="module")
def same_return(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """One synthetic return written twice: as the DfE's CSV tables and as one EXPSSDA903 file."""
    from placements.synth.generate import HISTORY_DIR, generate

    base = tmp_path_factory.mktemp("same")
    for fmt in ("csv", "xml"):
        files = generate("nottingham", 3, DAY, scale=0.3, ssda903_format=fmt)
        write_files(base / fmt, {k.split("/", 1)[1]: v for k, v in files.items() if k.startswith(HISTORY_DIR + "/")})
    assert (base / "xml" / "ssda903.xml").exists() and (base / "csv" / "Episodes.csv").exists()
    return base / "csv", base / "xml"


def test_xml_and_csv_of_the_same_return_give_identical_cohorts(same_return: tuple[Path, Path]) -> None:
    csv_dir, xml_dir = same_return
    a, b = read_ssda903(csv_dir), read_ssda903(xml_dir)
    assert a.issues == () and b.issues == ()
    for name in ("Header", "Episodes", "Reviews", "UASC", "SWEpisodes", "PlacedAdoption"):
        if name in a.tables:
            pd.testing.assert_frame_equal(a.frame(name), b.frame(name), check_dtype=False)
    sizes = []
    for day in DATES:
        ca, cb = cohort(a, day, NOTTINGHAM), cohort(b, day, NOTTINGHAM)
        assert cohort_csv(ca.frame, False) == cohort_csv(cb.frame, False), day
        sizes.append(len(ca.frame))
    assert min(sizes) > 50  # five real cohorts, not five empty ones


def test_problems_name_the_element_and_line(tmp_path: Path) -> None:
    """The same defects in CSV and XML: the same problems, the XML ones located by element path and line."""
    tables = {
        "Header": pd.DataFrame({"CHILD": ["1", "2"], "SEX": ["1", "X"], "DOB": ["01/01/2012", "31/02/2013"]}),
        "Episodes": pd.DataFrame(
            {
                "CHILD": ["1", "1", "2"],
                "DECOM": ["01/04/2022", "01/06/2022", "01/05/2022"],
                "RNE": ["S", "P", "S"],
                "LS": ["C2"] * 3,
                "PLACE": ["U4", "Q9", "K2"],
                "PLACE_PROVIDER": ["PR1", "PR4", "PR4"],
                "DEC": ["01/07/2022", "", "30/04/2022"],
            }
        ),
    }
    write_tables(tables, tmp_path / "csv")
    (tmp_path / "xml").mkdir()
    text = tables_xml(tables).replace("><", ">\n<")  # one element a line, so lines mean something
    (tmp_path / "xml" / "return.xml").write_text(text)
    a, b = read_ssda903(tmp_path / "csv"), read_ssda903(tmp_path / "xml")
    pa, pb = issues_frame(a.issues), issues_frame(b.issues)

    def same(frame: pd.DataFrame) -> list[str]:  # messages name other lines: the lines differ, the words do not
        return [re.sub(r"\(line \d+\)", "(line)", p) for p in frame["problem"]]

    assert same(pa) == same(pb) and list(pa["action"]) == list(pb["action"])
    assert len(pb) == 5  # SEX, DOB, PLACE, an overlap, DEC before DECOM
    lines = text.splitlines()
    for row in pb.itertuples():
        leaf = row.column.rsplit("/", 1)[-1]
        assert row.column.startswith("CHILD[")
        assert lines[int(row.row) - 1].startswith(f"<{leaf}") or lines[int(row.row) - 1].startswith("<EPISODE"), row
    place = pb[pb["problem"].str.contains("Q9")].iloc[0]
    assert place["column"] == "CHILD[1]/EPISODE[2]/PL" and lines[int(place["row"]) - 1] == "<PL>Q9</PL>"


def test_a_return_written_by_the_sectors_validator() -> None:
    """The 903 validator's own test fixture (tests/data/ssda903_xml/README.md), counted independently."""
    root = ET.parse(FIXTURE).getroot()
    data = read_ssda903(FIXTURE)
    assert len(data.tables["Header"]) == len(root.findall("CHILD")) == 11
    assert len(data.tables["Episodes"]) == len(root.findall("CHILD/EPISODE"))
    assert len(data.tables["Reviews"]) == len(root.findall("CHILD/HEADER/AREVIEW"))
    assert len(data.tables["UASC"]) == sum(1 for u in root.iter("UASC") if (u.text or "").strip() == "1")
    for table, path in (("Missing", "CHILD/HEADER/AMISSING"), ("PlacedAdoption", "CHILD/HEADER/AD_PLACED")):
        assert len(data.tables[table]) == len(root.findall(path)) > 0
    assert len(data.tables["OC3"]) == len(root.findall("CHILD/HEADER/IN_TOUCH")) > 0
    assert len(data.tables["AD1"]) == len(root.findall("CHILD/HEADER/DATE_INT")) > 0
    first = root.find("CHILD/EPISODE")
    ep = data.tables["Episodes"].set_index(["CHILD", "DECOM"]).sort_index()
    cid = root.find("CHILD/HEADER/CHILDID").text
    decom = dt.datetime.strptime(first.find("DECOM").text, "%d/%m/%Y").date()
    assert ep.loc[(cid, decom), "PLACE"] == first.find("PL").text  # <PL> is PLACE
    # Its made-up postcodes (E22 4DI) are reported where the cohort uses them, never a failure.
    built = cohort(data, dt.date(2018, 3, 31), NOTTINGHAM)
    assert len(built.frame) > 0
    assert all("postcode" in i.problem for i in built.issues)


@pytest.mark.parametrize(
    "content, words",
    [
        ("<EXPSSDA903><CHILD><HEADER><CHILDID>1</CHILDID></HEADER>\n<EPISODE><DECOM>01/01/2020</DEC></EPISODE>",
         ["not well-formed XML", "mismatched tag", "line 2"]),
        ("<EXPSSDA903><CHILD>", ["not well-formed XML", "line 1"]),
        ('<?xml version="1.0"?>\n<Message><Header><CollectionDetails><Collection>CIN</Collection></CollectionDetails>'
         "</Header><Children/></Message>", ["not an SSDA903 return", "<Message>", "CIN census"]),
        ('<!DOCTYPE x [<!ENTITY a "aaaa">]><EXPSSDA903/>', ["document type declaration"]),
    ],
)  # fmt: skip
def test_bad_xml_is_refused_with_file_and_place(tmp_path: Path, content: str, words: list[str]) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "903.xml").write_text(content)
    with pytest.raises(InputError) as exc:
        read_ssda903(folder)
    text = str(exc.value)
    assert str(folder / "903.xml") in text and all(w in text for w in words), text
    out = tmp_path / "out" / "cohort.csv"
    res = CliRunner().invoke(
        app, ["cohort", "--ssda903", str(folder), "--as-of", "2024-03-31", "--out", str(out), "--la-code", NOTTINGHAM]
    )
    assert res.exit_code == 2 and "Traceback" not in res.output and not out.parent.exists()


def test_commands_read_xml(same_return: tuple[Path, Path], tmp_path: Path) -> None:
    """cohort reads the XML return like the CSV one (the same files written)."""
    csv_dir, xml_dir = same_return
    outs = []
    for src, name in ((csv_dir, "a"), (xml_dir, "b")):
        out = tmp_path / name / "cohort.csv"
        res = CliRunner().invoke(
            app,
            ["cohort", "--ssda903", str(src), "--as-of", DAY.isoformat(), "--out", str(out), "--la-code", NOTTINGHAM],
        )
        assert res.exit_code == 0, res.output
        outs.append(out.read_text())
    assert outs[0] == outs[1]


def test_synth_check_reads_an_xml_folder(tmp_path: Path) -> None:
    from placements.synth.calibration import check
    from placements.synth.generate import generate

    write_files(tmp_path, generate("nottingham", 1, DAY, scale=0.2, ssda903_format="xml"))
    figs, problems = check(tmp_path)
    assert problems == [] and len(figs) > 50
