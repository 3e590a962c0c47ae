"""Synthetic authorities on the real market: region and England take their children's homes from Ofsted's register."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pandas as pd
import pytest

from placements.synth.market import MARKET_FILE, allocate, derive, market
from placements.synth.profiles import authorities

PUBLISHED = Path("/work/shared/data/ofsted/provider-level-2023-03-31.csv")


@pytest.mark.skipif(not PUBLISHED.exists(), reason="the shared Ofsted file is not on this machine")
def test_the_derived_table_is_the_register_s_children_s_homes() -> None:
    """ofsted_homes.csv is exactly what `derive` makes of the published file (2,821 homes, 11,103 places)."""
    made = derive(PUBLISHED).to_csv(index=False, lineterminator="\n")
    assert made == MARKET_FILE.read_text()
    assert len(market()) == 2821 and market()["places"].sum() == 11103


def test_region_homes_are_real_homes_used_once() -> None:
    profs, geo = authorities("region")
    homes = [h for p in profs for h in (p.market or ())]
    urns = [h.urn for h in homes]
    assert len(urns) == len(set(urns)) > 150
    reg = market().set_index("urn")
    assert all(reg.loc[h.urn, "places"] == h.places and reg.loc[h.urn, "la_code"] == h.la_code for h in homes)
    # A fixed draw per URN: the same homes whatever the call.
    assert allocate(profs, geo) == {p.la_code: p.market for p in profs}
    # Every home of the four authorities' own areas is used by one of them when they want more than exist.
    own = {"E06000015", "E10000007", "E06000018", "E10000024"}
    used_own = sum(1 for h in homes if h.la_code in own)
    assert used_own <= int(reg["la_code"].isin(own).sum())


def test_region_folder_carries_judgements_and_passes_its_check(tmp_path: Path) -> None:
    from placements.io.writers import write_files
    from placements.synth.calibration import check
    from placements.synth.generate import generate

    write_files(tmp_path, generate("region", 1, dt.date(2026, 11, 23), scale=0.3))
    places = pd.read_csv(tmp_path / "places.csv", dtype=str, keep_default_na=False)
    homes = places[places["setting"] == "residential"]
    assert (homes["ofsted_urn"] != "").all() and homes["ofsted_urn"].is_unique
    assert set(homes["ofsted_rating"]) <= {"outstanding", "good", "requires_improvement", "inadequate", ""}
    figs, problems = check(tmp_path)
    assert problems == []
    register = [f for f in figs if f.name.startswith("register homes")]
    assert len(register) == 8 and all(f.ok for f in register), [(f.name, f.value, f.target) for f in register]
    # The national places-per-home and private-share targets give way to the register's own.
    assert not {"children's homes: places each", "children's homes: private"} & {f.name for f in figs}


def test_nottingham_keeps_its_drawn_homes() -> None:
    """The demo's profile is unchanged: no register columns, so data/demo stays byte-identical."""
    (prof,), _ = authorities("nottingham")
    assert prof.market is None
    demo = pd.read_csv(io.StringIO((Path(__file__).parents[1] / "data/demo/places.csv").read_text()))
    assert "ofsted_urn" not in demo.columns


@pytest.mark.slow
def test_england_uses_every_real_home_once() -> None:
    """England holds every authority, so every home of the register is used, once (Cumbria's by its successors)."""
    profs, _ = authorities("england")
    homes = [h for p in profs for h in (p.market or ())]
    assert len(homes) == len({h.urn for h in homes}) == len(market()) == 2821
    assert sum(h.places for h in homes) == 11103
