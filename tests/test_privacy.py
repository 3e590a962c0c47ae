"""--pseudonymise and the output guard: no output of match, conflicts, gaps, recruit or report names a child.

Each command runs on the demo authority (with a ``name`` column added, which the reader must ignore)
and every file it writes is scanned for any child or sibling-group id, any full postcode and any
full date of birth of the input, the key, and the planted names.
"""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from placements.cli import app
from placements.errors import InputError
from placements.io.case_folder import read_case_folder
from placements.privacy.guard import DisclosureError, Privacy, sector_only
from placements.privacy.pseudonyms import KEY_ENV, Pseudonymiser, load_key

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"
KEY = "an-authority-held-key-0001"
SMALL = "small"
OTHER_KEY = "a-different-authority-key-0002"


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo authority with a (synthetic) name column the engine must never repeat."""
    folder = tmp_path_factory.mktemp("case")
    for f in DEMO.iterdir():
        if f.is_file():  # the demo also carries its SSDA903 history in ssda903/
            shutil.copy(f, folder / f.name)
    with (DEMO / "children.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    with (folder / "children.csv").open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=[*rows[0].keys(), "name"], lineterminator="\n")
        w.writeheader()
        for i, r in enumerate(rows):
            w.writerow({**r, "name": f"Zebediah Quaxworth{i}"})
    small = folder / SMALL  # the first 80 children and every home: a small authority for the whole-cohort commands
    small.mkdir()
    kids = pd.read_csv(folder / "children.csv", dtype=str, keep_default_na=False).iloc[:80]
    homes = pd.read_csv(folder / "places.csv", dtype=str, keep_default_na=False)
    homes["kinship_for"] = homes["kinship_for"].map(
        lambda v: ";".join(x for x in v.split(";") if x in set(kids["child_id"]))
    )
    kids.to_csv(small / "children.csv", index=False)
    homes.to_csv(small / "places.csv", index=False)
    shutil.copy(folder / "policy.toml", small / "policy.toml")
    return folder


@pytest.fixture(scope="module")
def secrets(case: Path) -> dict[str, set[str]]:
    with (case / "children.csv").open(newline="") as fh:
        children = list(csv.DictReader(fh))
    with (case / "places.csv").open(newline="") as fh:
        places = list(csv.DictReader(fh))
    dobs = {r["date_of_birth"] for r in children}
    return {
        "ids": {r["child_id"] for r in children} | {r["sibling_group"] for r in children if r["sibling_group"]},
        "postcodes": {r["home_postcode"] for r in children if r["home_postcode"]} | {r["postcode"] for r in places},
        "dobs": dobs | {f"{d[8:10]}/{d[5:7]}/{d[0:4]}" for d in dobs},
    }


def _commands() -> list[object]:
    """Every reporting command the CLI has (gaps, recruit and report join as they land)."""
    names = {c.name or c.callback.__name__ for c in app.registered_commands}
    slow = pytest.mark.slow
    cmds = [
        ["match"],
        pytest.param(["match", "--whole-cohort", "--time-limit", "10", SMALL], marks=slow),
        ["conflicts"],
    ]
    # The whole-cohort commands run on the first 80 children (``small``) to stay quick.
    if "gaps" in names:
        cmds.append(pytest.param(["gaps", "--time-limit", "10", SMALL], marks=slow))
    if "recruit" in names:
        cmds.append(pytest.param(["recruit", "--time-limit", "10", "--max-iterations", "3", SMALL], marks=slow))
    if "report" in names:
        cmds.append(pytest.param(["report", "--time-limit", "10", "--recruit-iterations", "3", SMALL], marks=slow))
    return cmds


def _run(cmd: list[str], case: Path, out: Path, *extra: str, env: dict[str, str] | None = None):
    if SMALL in cmd:
        cmd = [c for c in cmd if c != SMALL]
        case = case / SMALL
    target = ["--out", str(out / "report.html")] if cmd[0] == "report" else ["--out", str(out)]
    return CliRunner().invoke(app, [cmd[0], str(case), *cmd[1:], *target, *extra], env=env or {})


def _scan(out: Path, secrets: dict[str, set[str]], key: str) -> list[str]:
    found = []
    files = [p for p in out.rglob("*") if p.is_file()]
    assert files, f"nothing written in {out}"
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # a PNG
        tokens = set(re.findall(r"[A-Za-z0-9_]+", text))
        for cid in secrets["ids"] & tokens:
            found.append(f"{path.name}: id {cid}")
        upper = text.upper()
        found += [f"{path.name}: postcode {pc}" for pc in secrets["postcodes"] if pc.upper() in upper]
        found += [f"{path.name}: postcode {pc}" for pc in secrets["postcodes"] if pc.replace(" ", "").upper() in tokens]
        found += [f"{path.name}: date of birth {d}" for d in secrets["dobs"] if d in text]
        if re.search(r"\d{4}-\d{2}-\d{2}", text):
            found.append(f"{path.name}: a full date")
        if key in text:
            found.append(f"{path.name}: the key")
        if "Zebediah" in text or "Quaxworth" in text:
            found.append(f"{path.name}: a name")
    return found


@pytest.mark.parametrize("cmd", _commands(), ids=lambda c: "-".join(c[:2]))
def test_pseudonymised_outputs_hold_no_identity(
    cmd: list[str], case: Path, secrets: dict[str, set[str]], tmp_path: Path
) -> None:
    key_file = tmp_path / "key.txt"
    key_file.write_text(KEY + "\n")
    out = tmp_path / "out"
    res = _run(cmd, case, out, "--pseudonymise", "--key-file", str(key_file))
    assert res.exit_code == 0, res.output
    assert _scan(out, secrets, KEY) == []
    assert "P-" in "".join(
        p.read_text(errors="ignore") for p in out.rglob("*.csv")
    )  # children are there, pseudonymised


def test_plain_outputs_hold_no_postcode_or_name(case: Path, secrets: dict[str, set[str]], tmp_path: Path) -> None:
    for cmd in (["match"], ["conflicts"]):
        out = tmp_path / cmd[0]
        res = _run(cmd, case, out)
        assert res.exit_code == 0, res.output
        text = "".join(p.read_text() for p in out.iterdir())
        assert not [pc for pc in secrets["postcodes"] if pc in text]
        assert "Zebediah" not in text and "date_of_birth" not in text
        assert re.search(r"\bC\d{4}\b", text)  # without --pseudonymise the team sees its own ids


def test_same_child_same_pseudonym_across_commands_and_runs(case: Path, tmp_path: Path) -> None:
    env = {KEY_ENV: KEY}
    for name, cmd in (("m1", ["match"]), ("m2", ["match"]), ("c", ["conflicts"])):
        assert _run(cmd, case, tmp_path / name, "--pseudonymise", env=env).exit_code == 0
    m1 = (tmp_path / "m1" / "matches.csv").read_bytes()
    assert m1 == (tmp_path / "m2" / "matches.csv").read_bytes()
    ps = Pseudonymiser(KEY.encode())
    c = (tmp_path / "c" / "conflicts.csv").read_text()
    assert ps.child("C0002") in c  # the demo's first conflict, under its pseudonym
    assert ps.child("C0052") in m1.decode()  # the first match of the demo, under its pseudonym
    assert _run(["match"], case, tmp_path / "m3", "--pseudonymise", env={KEY_ENV: OTHER_KEY}).exit_code == 0
    assert ps.child("C0052") not in (tmp_path / "m3" / "matches.csv").read_text()


@pytest.mark.parametrize("cmd", [["match"], ["conflicts"]])
def test_pseudonymise_without_key_refuses_and_writes_nothing(cmd: list[str], case: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    res = _run(cmd, case, out, "--pseudonymise")
    assert res.exit_code == 2
    assert "--key-file" in res.output and KEY_ENV in res.output
    assert not out.exists()
    short = tmp_path / "short.key"
    short.write_text("tooshort")
    res = _run(cmd, case, out, "--pseudonymise", "--key-file", str(short))
    assert res.exit_code == 2 and "at least 16 bytes" in res.output and not out.exists()


def test_load_key_prefers_file_and_strips(tmp_path: Path) -> None:
    f = tmp_path / "k"
    f.write_text(f"  {KEY}\n")
    assert load_key(f, {KEY_ENV: OTHER_KEY}) == KEY.encode()
    assert load_key(None, {KEY_ENV: OTHER_KEY}) == OTHER_KEY.encode()
    with pytest.raises(InputError):
        load_key(None, {})
    with pytest.raises(InputError):
        load_key(tmp_path / "missing", {})
    assert "key" not in repr(Pseudonymiser(KEY.encode())).replace("key=<hidden>", "")


def test_text_rules() -> None:
    assert (
        sector_only("near NG7 2RD and ng7 2rd, NG72RD; sector NG7 2 stays")
        == "near NG7 2 and ng7 2rd, NG7 2; sector NG7 2 stays"
    )
    inst = read_case_folder(DEMO).instance
    p = Privacy(inst, Pseudonymiser(KEY.encode()))
    assert p.text("C0001 and C00010 on 2026-11-23 (23/11/2026)") == f"{p.id('C0001')} and C00010 on 2026-11 (2026-11)"
    assert Privacy(inst).text("C0001 on 2026-11-23") == "C0001 on 2026-11-23"


def test_guard_refuses_a_disclosing_file() -> None:
    inst = read_case_folder(DEMO).instance
    child = inst.children[0]
    p = Privacy(inst, Pseudonymiser(KEY.encode()))
    with pytest.raises(DisclosureError, match="identifier"):
        p.check({"a.csv": f"child_id\n{child.child_id}\n"})
    with pytest.raises(DisclosureError, match="finer than the month"):
        p.check({"a.csv": f"x\n{child.date_of_birth.isoformat()}\n"})
    with pytest.raises(DisclosureError, match="key"):
        p.check({"a.txt": KEY})
    with pytest.raises(DisclosureError, match="postcode"):
        Privacy(inst).check({"a.csv": f"x\n{child.home_postcode}\n"})
    with pytest.raises(DisclosureError, match="date-of-birth column"):
        Privacy(inst).check({"a.csv": "child_id,date_of_birth\nx,2020-01\n"})
    p.check({"a.csv": f"child_id\n{p.id(child.child_id)}\n"})  # the pseudonym itself is fine


@settings(max_examples=200, deadline=None)
@given(
    words=st.lists(st.text(alphabet="AB1_-", min_size=1, max_size=4), min_size=1, max_size=6, unique=True),
    text=st.text(alphabet="AB1_- ,x", max_size=40),
)
def test_one_pass_identifier_search_finds_what_the_regular_expression_finds(words: list[str], text: str) -> None:
    """The guard's Aho-Corasick scan (one pass, every identifier at once) against the regular
    expression it replaced (longest first, whole words only)."""
    from placements.privacy.guard import _automaton, _whole_words

    ordered = sorted(words, key=len, reverse=True)
    pattern = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(map(re.escape, ordered)) + r")(?![A-Za-z0-9_])")
    expected = [(m.start(1), m.end(1), m.group(1)) for m in pattern.finditer(text)]
    assert _whole_words(_automaton(words), text) == expected
