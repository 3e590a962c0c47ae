"""The synthetic SSDA903 history agrees with the case folder it comes with, and keeps the return's rules."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import pytest

from placements.io.ssda903.schema import TABLES
from placements.synth.generate import generate

AS_OF = dt.date(2026, 11, 23)
DAY = pd.Timestamp(AS_OF)


@pytest.fixture(scope="module")
def files() -> dict[str, str]:
    return generate("nottingham", 3, AS_OF)


def _frame(files: dict[str, str], name: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(files[name]), dtype=str, keep_default_na=False)


def _date(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s.where(s != "", None), format="%d/%m/%Y")


@pytest.fixture(scope="module")
def episodes(files: dict[str, str]) -> pd.DataFrame:
    eps = _frame(files, "ssda903/Episodes.csv")
    eps["start"], eps["end"] = _date(eps["DECOM"]), _date(eps["DEC"])
    return eps


def test_tables_and_columns_follow_the_schema(files: dict[str, str]) -> None:
    for name in ("Header", "Episodes", "Reviews", "UASC", "PlacedAdoption", "SWEpisodes"):
        frame = _frame(files, f"ssda903/{name}.csv")
        assert tuple(frame.columns) == TABLES[name]
        assert len(frame) > 0, name
    dob = _frame(files, "ssda903/Header.csv")["DOB"]
    assert dob.str.fullmatch(r"\d{2}/\d{2}/\d{4}").all()


def test_looked_after_on_the_as_of_date_are_exactly_the_case_folder(
    files: dict[str, str], episodes: pd.DataFrame
) -> None:
    kids = _frame(files, "children.csv")
    open_ = episodes[(episodes["start"] <= DAY) & (episodes["end"].isna() | (episodes["end"] > DAY))]
    assert sorted(open_["CHILD"]) == sorted(kids["child_id"])  # one open episode each, no one else
    header = _frame(files, "ssda903/Header.csv")
    assert set(kids["child_id"]) < set(header["CHILD"])  # and children who left care in the five years


def test_current_episode_is_the_current_home(files: dict[str, str], episodes: pd.DataFrame) -> None:
    kids = _frame(files, "children.csv").set_index("child_id")
    places = _frame(files, "places.csv").set_index("place_id")
    cur = episodes[episodes["end"].isna()].set_index("CHILD")
    placed = kids[kids["current_place_id"] != ""]
    assert len(placed) > 400
    groups = {"foster": {"U1", "U2", "U3", "U4", "U5", "U6"}, "residential": {"K2"}, "supported": {"K3"}}
    provider = {"in_house": "PR1", "ifa": "PR4", "private": "PR4", "voluntary": "PR5"}
    for child, row in placed.iterrows():
        home = places.loc[row["current_place_id"]]
        ep = cur.loc[child]
        assert ep["PLACE"] in groups[home["setting"]], child
        assert ep["PLACE_PROVIDER"] == provider[home["provider"]], child
        assert ep["PL_POST"] == home["postcode"], child
        kin = home["kinship_for"] != ""
        assert (ep["PLACE"] in {"U1", "U2", "U3"}) == kin, child


def test_periods_of_care_start_on_entered_care_date(files: dict[str, str], episodes: pd.DataFrame) -> None:
    kids = _frame(files, "children.csv").set_index("child_id")
    starts = episodes[episodes["RNE"] == "S"].sort_values("start").groupby("CHILD")["start"].last()
    entered = pd.to_datetime(kids["entered_care_date"])
    assert (starts.reindex(kids.index) == entered).all()


def test_reviews_are_the_case_folders_review_dates(files: dict[str, str]) -> None:
    kids = _frame(files, "children.csv")
    reviews = _frame(files, "ssda903/Reviews.csv")
    got = (
        reviews.assign(d=_date(reviews["REVIEW"]).dt.date.astype(str))
        .groupby("CHILD")["d"]
        .apply(lambda s: ";".join(sorted(s)))
    )
    for child, dates in zip(kids["child_id"], kids["review_dates"], strict=True):
        assert got.get(child, "") == dates, child


def test_episodes_chain_without_gaps_or_overlaps(episodes: pd.DataFrame) -> None:
    for child, eps in episodes.sort_values("start", kind="stable").groupby("CHILD"):
        starts, ends = list(eps["start"]), list(eps["end"])
        assert eps["RNE"].iloc[0] == "S", child
        for k in range(len(eps) - 1):
            assert ends[k] == starts[k + 1], child  # each ends the day the next begins
            assert eps["REC"].iloc[k] == "X1", child
        assert all(e is pd.NaT or e > s for s, e in zip(starts, ends, strict=True)), child
        last = eps.iloc[-1]
        assert (last["REC"] == "") == pd.isna(last["end"]), child


def test_codes_are_valid_in_the_as_of_year(episodes: pd.DataFrame) -> None:
    # 2026/27: Z1, H5 and P2 have left the PLACE list; K3 arrived in 2024/25.
    current = episodes[episodes["end"].isna() | (episodes["end"] > pd.Timestamp("2025-04-01"))]
    assert not current["PLACE"].isin(["Z1", "P2"]).any()
    assert not episodes.loc[episodes["start"] < pd.Timestamp("2024-04-01"), "PLACE"].eq("K3").any()
    assert episodes["RNE"].isin(["S", "P", "L", "B"]).all()
    assert episodes["LS"].isin(["C1", "C2", "V2", "E1", "J1"]).all()
    assert episodes["PLACE_PROVIDER"].str.fullmatch(r"PR[0-5]").all()
