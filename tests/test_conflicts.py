"""Permanence-plan conflicts: every rule on hand-made children, the calendar, configuration, the command.

Each rule has positive cases (the conflict is found, once, for the right child) and negative ones
(a near miss that must stay silent). Instances are built with ``tests/builders.py``.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from builders import AS_OF, child, instance, place
from placements.calendar import add_months, add_working_days, is_working_day, whole_months_between
from placements.cli.conflicts import conflicts_cmd
from placements.codes import ROUTE_SETTINGS
from placements.domain import Child
from placements.errors import InputError
from placements.instance import Instance
from placements.reports.conflicts import (
    BUILTIN_CODES,
    BUILTIN_RULES,
    COLUMNS,
    Finding,
    load_conflicts_config,
    run_rules,
)
from placements.reports.conflicts.rules.dual_plan import DualPlan
from placements.reports.conflicts.rules.ltf_carer_not_long_term import LtfCarerNotLongTerm
from placements.reports.conflicts.rules.plan_setting_mismatch import PlanSettingMismatch
from placements.reports.conflicts.rules.plan_stale import PlanStale
from placements.reports.conflicts.rules.review_overdue import ReviewOverdue
from placements.reports.conflicts.rules.siblings_apart_unrecorded import SiblingsApartUnrecorded
from placements.reports.conflicts.rules.siblings_divergent_plans import SiblingsDivergentPlans
from placements.reports.conflicts.rules.under12_residential_no_rationale import Under12ResidentialNoRationale

TINY = Path(__file__).parent / "data" / "tiny"
D = dt.date


def home(pid: str, setting: str = "foster", living: int = 1, **kw: object) -> object:
    """A place that can hold ``living`` placed children (so the instance's cross-check passes)."""
    provider = "in_house" if setting == "foster" else "private"
    return place(pid, setting=setting, provider=provider, children_in_placement=living, **kw)


def placed(cid: str, where: str, age: int = 8, **kw: object) -> Child:
    return child(cid, age=age, status="placed", current_place_id=where, **kw)


def found(rule, inst: Instance, as_of: dt.date = AS_OF) -> dict[str, Finding]:
    """Findings of one rule by child id; each child at most once, each coded and graded as the rule."""
    out = rule.check(inst, as_of)
    ids = [f.child_id for f in out]
    assert len(ids) == len(set(ids)), ids
    assert all(f.rule == rule.code and f.severity == rule.severity for f in out)
    assert all(f.evidence and f.suggested_action.endswith(".") for f in out)
    return {f.child_id: f for f in out}


# ---------------------------------------------------------------------------------------------
# calendar
# ---------------------------------------------------------------------------------------------


class TestDates:
    def test_christmas_bank_holidays_are_not_working_days(self) -> None:
        assert not is_working_day(D(2025, 12, 25)) and not is_working_day(D(2025, 12, 26))
        assert not is_working_day(D(2026, 1, 1))
        assert not is_working_day(D(2026, 12, 28))  # Boxing Day (substitute day)
        assert not is_working_day(D(2025, 12, 27))  # Saturday
        assert is_working_day(D(2025, 12, 24))

    def test_20_working_days_across_christmas(self) -> None:
        # Mon 22 Dec 2025: 25, 26 Dec and 1 Jan are bank holidays; plain weekdays would give 19 Jan.
        assert add_working_days(D(2025, 12, 22), 20) == D(2026, 1, 22)

    def test_20_working_days_across_easter(self) -> None:
        # Good Friday 3 Apr and Easter Monday 6 Apr 2026.
        assert add_working_days(D(2026, 3, 30), 20) == D(2026, 4, 29)

    def test_start_day_is_not_counted(self) -> None:
        assert add_working_days(D(2026, 11, 20), 1) == D(2026, 11, 23)  # Friday -> Monday
        assert add_working_days(D(2026, 11, 20), 0) == D(2026, 11, 20)

    @pytest.mark.parametrize(
        ("start", "months", "expected"),
        [
            (D(2025, 11, 30), 3, D(2026, 2, 28)),
            (D(2025, 8, 31), 6, D(2026, 2, 28)),
            (D(2027, 8, 31), 6, D(2028, 2, 29)),
            (D(2026, 1, 31), 1, D(2026, 2, 28)),
            (D(2026, 3, 31), -1, D(2026, 2, 28)),
            (D(2026, 5, 15), 12, D(2027, 5, 15)),
            (D(2026, 11, 23), -12, D(2025, 11, 23)),
        ],
    )
    def test_months_clamp_to_month_end(self, start: dt.date, months: int, expected: dt.date) -> None:
        assert add_months(start, months) == expected

    def test_whole_months_between(self) -> None:
        assert whole_months_between(D(2025, 10, 24), D(2026, 11, 23)) == 12
        assert whole_months_between(D(2025, 10, 23), D(2026, 11, 23)) == 13
        assert whole_months_between(D(2026, 12, 1), D(2026, 11, 23)) == 0


# ---------------------------------------------------------------------------------------------
# one class per rule
# ---------------------------------------------------------------------------------------------


class TestDualPlan:
    rule = DualPlan()

    def test_two_routes_is_a_dual_plan(self) -> None:
        inst = instance([child("C1", permanence_plan="residential;long_term_foster", plan_date="2026-10-01")], [])
        f = found(self.rule, inst)["C1"]
        assert f.severity == "high"
        assert "residential;long_term_foster" in f.evidence and "2026-10-01" in f.evidence

    def test_one_route_or_none_is_not(self) -> None:
        inst = instance([child("C1", permanence_plan="adoption"), child("C2")], [])
        assert found(self.rule, inst) == {}


class TestPlanSettingMismatch:
    rule = PlanSettingMismatch()

    @pytest.mark.parametrize(
        ("plan", "setting", "age"),
        [
            ("long_term_foster", "residential", 13),
            ("long_term_foster", "supported", 16),
            ("residential", "foster", 13),
            ("adoption", "residential", 6),
            ("return_home;adoption", "supported", 16),
        ],
    )
    def test_plan_that_the_current_home_cannot_deliver(self, plan: str, setting: str, age: int) -> None:
        inst = instance([placed("C1", "H1", age=age, permanence_plan=plan)], [home("H1", setting)])
        f = found(self.rule, inst)["C1"]
        assert f"while living in {setting} (H1)" in f.evidence

    @pytest.mark.parametrize("plan", ["independence", "staying_put"])
    def test_leaving_care_plan_under_16(self, plan: str) -> None:
        # Needs no known setting: a child waiting for a home is checked on age alone.
        inst = instance([child("C1", age=14, permanence_plan=plan)], [])
        assert "at age 14 (from 16)" in found(self.rule, inst)["C1"].evidence

    @pytest.mark.parametrize(
        ("plan", "setting", "age"),
        [
            ("long_term_foster", "foster", 9),
            ("adoption", "foster", 2),
            ("residential", "residential", 14),
            ("return_home", "residential", 14),
            ("sgo", "supported", 16),
            ("independence", "supported", 16),
            ("staying_put", "foster", 17),
        ],
    )
    def test_plan_that_fits(self, plan: str, setting: str, age: int) -> None:
        inst = instance([placed("C1", "H1", age=age, permanence_plan=plan)], [home("H1", setting)])
        assert found(self.rule, inst) == {}

    def test_setting_unknown_is_skipped(self) -> None:
        inst = instance(
            [
                child("C1", age=13, status="placed", permanence_plan="long_term_foster"),  # no current_place_id
                child("C2", age=13, permanence_plan="residential", current_place_id="H1"),  # not placed
            ],
            [home("H1", "foster", living=0)],
        )
        assert found(self.rule, inst) == {}

    def test_mapping_covers_every_route(self) -> None:
        from placements.codes import Route

        assert set(ROUTE_SETTINGS) == set(Route)


class TestPlanStale:
    rule = PlanStale()

    def test_no_plan_after_two_reviews(self) -> None:
        inst = instance([child("C1", review_dates="2026-09-01;2026-05-20")], [])
        f = found(self.rule, inst)["C1"]
        assert "after 2 reviews (second on 2026-09-01)" in f.evidence

    def test_no_plan_after_one_review_is_not_yet_stale(self) -> None:
        # A review dated after the as-of date has not been held yet.
        inst = instance([child("C1", review_dates="2026-09-01;2026-12-01")], [])
        assert found(self.rule, inst) == {}

    def test_no_plan_long_in_care_without_review_dates(self) -> None:
        # Entered Mon 22 Dec 2025: first review by 22 Jan 2026, second by 22 Apr 2026.
        c = child("C1", entered_care_date="2025-12-22", last_review_date="2026-01-10")
        assert found(self.rule, instance([c], []), D(2026, 4, 22)) == {}
        f = found(self.rule, instance([c], []), D(2026, 4, 23))["C1"]
        assert "second review was due by 2026-04-22" in f.evidence

    def test_no_plan_and_nothing_known_is_silent(self) -> None:
        inst = instance([child("C1"), child("C2", last_review_date="2025-01-01")], [])
        assert found(self.rule, inst) == {}

    def test_plan_on_an_assessment_over_12_months_old(self) -> None:
        inst = instance(
            [
                child("C1", permanence_plan="long_term_foster", assessment_date="2025-11-22"),
                child("C2", permanence_plan="long_term_foster", assessment_date="2025-11-23"),  # exactly 12 months
                child("C3", permanence_plan="adoption", assessment_date="2026-06-01"),
                child("C4", permanence_plan="adoption"),  # no assessment date: nothing to judge
            ],
            [],
        )
        out = found(self.rule, inst)
        assert set(out) == {"C1"}
        assert "2025-11-22, 12 months old" in out["C1"].evidence
        assert out["C1"].suggested_action.startswith("Update the needs assessment")

    def test_plan_present_after_reviews_is_fine(self) -> None:
        inst = instance([child("C1", permanence_plan="kinship", review_dates="2026-01-05;2026-04-01")], [])
        assert found(self.rule, inst) == {}


class TestReviewOverdue:
    rule = ReviewOverdue()

    def test_first_review_across_christmas(self) -> None:
        c = child("C1", entered_care_date="2025-12-22")
        # Due 22 Jan 2026 with bank holidays (19 Jan without): 20 Jan and 22 Jan are in time.
        assert found(self.rule, instance([c], []), D(2026, 1, 20)) == {}
        assert found(self.rule, instance([c], []), D(2026, 1, 22)) == {}
        f = found(self.rule, instance([c], []), D(2026, 1, 23))["C1"]
        assert f.evidence.startswith("first review due by 2026-01-22")
        assert "1 day overdue on 2026-01-23" in f.evidence

    def test_first_review_across_easter(self) -> None:
        c = child("C1", entered_care_date="2026-03-30")
        assert found(self.rule, instance([c], []), D(2026, 4, 29)) == {}
        f = found(self.rule, instance([c], []), D(2026, 5, 1))["C1"]
        assert "due by 2026-04-29" in f.evidence and "2 days overdue" in f.evidence

    def test_second_review_month_end_clamped(self) -> None:
        c = child("C1", entered_care_date="2025-11-03", review_dates="2025-11-30")
        assert found(self.rule, instance([c], []), D(2026, 2, 28)) == {}
        f = found(self.rule, instance([c], []), D(2026, 3, 1))["C1"]
        assert f.evidence.startswith("second review due by 2026-02-28")

    def test_six_monthly_from_the_latest_review_in_any_order(self) -> None:
        c = child("C1", review_dates="2025-08-31;2025-05-15;2025-06-01")
        assert found(self.rule, instance([c], []), D(2026, 2, 28)) == {}
        f = found(self.rule, instance([c], []), D(2026, 3, 10))["C1"]
        assert "next review due by 2026-02-28" in f.evidence and "10 days overdue" in f.evidence

    def test_last_review_date_alone_is_taken_as_six_monthly(self) -> None:
        inst = instance([child("C1", last_review_date="2026-05-01"), child("C2", last_review_date="2026-06-01")], [])
        out = found(self.rule, inst)
        assert set(out) == {"C1"}
        assert "due by 2026-11-01" in out["C1"].evidence and "22 days overdue" in out["C1"].evidence

    def test_last_review_in_first_window_was_the_first_review(self) -> None:
        # Entered 1 Jul 2026, reviewed 20 Jul (within 20 working days): the second is due 20 Oct.
        c = child("C1", entered_care_date="2026-07-01", last_review_date="2026-07-20")
        f = found(self.rule, instance([c], []))["C1"]
        assert f.evidence.startswith("second review due by 2026-10-20")

    def test_last_review_date_counts_among_review_dates(self) -> None:
        c = child("C1", review_dates="2026-02-01", last_review_date="2026-06-01")
        assert found(self.rule, instance([c], [])) == {}  # 2 reviews, next by 2026-12-01

    def test_in_time_or_unknown_is_silent(self) -> None:
        inst = instance(
            [
                child("C1"),  # nothing known
                child("C2", entered_care_date="2026-11-02"),  # first review due 30 Nov
                child("C3", entered_care_date="2026-12-01"),  # not yet in care on as_of
                child("C4", review_dates="2026-07-01;2026-10-01"),
            ],
            [],
        )
        assert found(self.rule, inst) == {}


class TestSiblingsDivergentPlans:
    rule = SiblingsDivergentPlans()

    def test_siblings_with_different_plans(self) -> None:
        inst = instance(
            [
                child("C1", sibling_group="S1", permanence_plan="long_term_foster"),
                child("C2", sibling_group="S1", permanence_plan="adoption"),
                child("C3", sibling_group="S1"),  # no plan: left out
            ],
            [],
        )
        out = found(self.rule, inst)
        assert set(out) == {"C1", "C2"}
        assert "C2 has adoption" in out["C1"].evidence and "C3" not in out["C1"].evidence

    def test_same_routes_in_another_order_agree(self) -> None:
        inst = instance(
            [
                child("C1", sibling_group="S1", permanence_plan="return_home;kinship"),
                child("C2", sibling_group="S1", permanence_plan="kinship;return_home"),
                child("C3", sibling_group="S2", permanence_plan="adoption"),
                child("C4", permanence_plan="residential"),
            ],
            [],
        )
        assert found(self.rule, inst) == {}


class TestSiblingsApartUnrecorded:
    rule = SiblingsApartUnrecorded()

    def test_siblings_in_two_homes_without_reason(self) -> None:
        inst = instance(
            [placed("C1", "H1", sibling_group="S1"), placed("C2", "H2", sibling_group="S1")],
            [home("H1"), home("H2")],
        )
        out = found(self.rule, inst)
        assert set(out) == {"C1", "C2"}
        assert out["C1"].evidence.startswith("lives at H1; in sibling group S1, C2 at H2")

    def test_only_the_child_without_a_reason_is_flagged(self) -> None:
        inst = instance(
            [
                placed("C1", "H1", sibling_group="S1", siblings_apart_reason="court order: separate placements"),
                placed("C2", "H2", sibling_group="S1"),
            ],
            [home("H1"), home("H2")],
        )
        assert set(found(self.rule, inst)) == {"C2"}

    def test_together_recorded_or_unknown_is_silent(self) -> None:
        inst = instance(
            [
                placed("C1", "H1", sibling_group="S1"),
                placed("C2", "H1", sibling_group="S1"),
                child("C3", sibling_group="S1"),  # needs a home: not compared
                child("C4", sibling_group="S1", status="placed"),  # placed, home unknown
                placed("C5", "H2", sibling_group="S2", siblings_apart_reason="sibling's assessed needs"),
                placed("C6", "H3", sibling_group="S2", siblings_apart_reason="sibling's assessed needs"),
            ],
            [home("H1", living=2), home("H2"), home("H3")],
        )
        assert found(self.rule, inst) == {}


class TestUnder12ResidentialNoRationale:
    rule = Under12ResidentialNoRationale()

    def test_young_child_in_a_childrens_home(self) -> None:
        inst = instance([placed("C1", "R1", age=9)], [home("R1", "residential")])
        f = found(self.rule, inst)["C1"]
        assert f.severity == "high" and "aged 9" in f.evidence and "R1" in f.evidence

    def test_twelve_rationale_foster_or_not_placed_is_silent(self) -> None:
        inst = instance(
            [
                placed("C1", "R1", age=12),
                placed("C2", "R1", age=7, residential_rationale="needs a therapeutic home; review in 3 months"),
                placed("C3", "F1", age=7),
                child("C4", age=7, current_place_id="R1"),  # needs a new home: setting not current
            ],
            [home("R1", "residential", living=2), home("F1")],
        )
        assert found(self.rule, inst) == {}


class TestLtfCarerNotLongTerm:
    rule = LtfCarerNotLongTerm()

    def test_long_term_plan_with_a_short_term_carer(self) -> None:
        inst = instance(
            [placed("C1", "F1", permanence_plan="long_term_foster", plan_date="2026-06-01")],
            [home("F1", long_term=False)],
        )
        f = found(self.rule, inst)["C1"]
        assert "F1 is not approved long-term" in f.evidence and "2026-06-01" in f.evidence

    def test_long_term_carer_other_plan_or_setting_is_silent(self) -> None:
        inst = instance(
            [
                placed("C1", "F1", permanence_plan="long_term_foster"),
                placed("C2", "F2", permanence_plan="adoption"),
                placed("C3", "R1", age=13, permanence_plan="long_term_foster"),  # plan_setting_mismatch's
                child("C4", permanence_plan="long_term_foster", current_place_id="F2"),  # not placed
            ],
            [home("F1", long_term=True), home("F2"), home("R1", "residential")],
        )
        assert found(self.rule, inst) == {}


# ---------------------------------------------------------------------------------------------
# the registry: every rule together, switching off, adding
# ---------------------------------------------------------------------------------------------


class MyRule:
    """A custom rule, as an authority would write one: children without a home postcode."""

    code = "no_home_location"
    severity = "low"

    def check(self, instance: Instance, as_of: dt.date) -> list[Finding]:
        return [
            Finding(c.child_id, self.code, self.severity, "no family home location", "Record the family home.")
            for c in instance.children
            if not c.has_home_location
        ]


class NotARule:
    code = "not_a_rule"
    severity = "urgent"

    def check(self, instance: Instance, as_of: dt.date) -> list[Finding]:
        return []


def _mixed() -> Instance:
    return instance(
        [
            child("C2", permanence_plan="adoption;long_term_foster", entered_care_date="2025-01-06"),
            child("C1", permanence_plan="residential;kinship", home_easting=None, home_northing=None),
            child("C3", age=14, permanence_plan="independence"),
        ],
        [],
    )


class TestRegistry:
    def test_codes(self) -> None:
        assert BUILTIN_CODES == (
            "dual_plan",
            "plan_setting_mismatch",
            "plan_stale",
            "review_overdue",
            "siblings_divergent_plans",
            "siblings_apart_unrecorded",
            "under12_residential_no_rationale",
            "ltf_carer_not_long_term",
        )
        assert {r.severity for r in BUILTIN_RULES} <= {"high", "medium", "low"}

    def test_sorted_by_child_then_rule(self) -> None:
        frame = run_rules(_mixed(), AS_OF)
        assert list(frame.columns) == list(COLUMNS)
        assert list(zip(frame.child_id, frame.rule, strict=True)) == [
            ("C1", "dual_plan"),
            ("C2", "dual_plan"),
            ("C2", "review_overdue"),
            ("C3", "plan_setting_mismatch"),
        ]

    def test_no_findings_still_has_the_columns(self) -> None:
        frame = run_rules(instance([child("C1")], []), AS_OF)
        assert frame.empty and list(frame.columns) == list(COLUMNS)

    def test_disabling_a_rule(self) -> None:
        frame = run_rules(_mixed(), AS_OF, disabled=["dual_plan"])
        assert "dual_plan" not in set(frame.rule) and len(frame) == 2

    def test_disabling_an_unknown_code(self) -> None:
        with pytest.raises(ValueError, match="dual_plans"):
            run_rules(_mixed(), AS_OF, disabled=["dual_plans"])

    def test_adding_a_rule(self) -> None:
        frame = run_rules(_mixed(), AS_OF, extra=[MyRule()])
        assert frame[frame.rule == "no_home_location"].child_id.tolist() == ["C1"]
        assert frame.child_id.tolist() == ["C1", "C1", "C2", "C2", "C3"]
        assert (
            run_rules(_mixed(), AS_OF, disabled=["no_home_location"], extra=[MyRule()])
            .rule.tolist()
            .count("no_home_location")
            == 0
        )

    def test_an_extra_rule_may_not_take_a_builtin_code(self) -> None:
        class Clash(MyRule):
            code = "dual_plan"

        with pytest.raises(ValueError, match="built-in"):
            run_rules(_mixed(), AS_OF, extra=[Clash()])
        with pytest.raises(TypeError, match="severity"):
            run_rules(_mixed(), AS_OF, extra=[NotARule()])

    def test_own_date_of_birth_is_never_cited(self) -> None:
        # A baby coming into care on the day it is born: the entry date is its date of birth.
        baby = child("C1", age=0, date_of_birth="2026-10-01", entered_care_date="2026-10-01")
        frame = run_rules(instance([baby], []), AS_OF)
        [evidence] = frame.evidence.tolist()
        assert "2026-10-01" not in evidence and "entering care on [date of birth]" in evidence

    def test_finding_checks_severity(self) -> None:
        with pytest.raises(ValueError, match="severity"):
            Finding("C1", "x", "urgent", "e", "a.")


# ---------------------------------------------------------------------------------------------
# conflicts.toml
# ---------------------------------------------------------------------------------------------


def _config(tmp_path: Path, text: str) -> Path:
    (tmp_path / "conflicts.toml").write_text(text, encoding="utf-8")
    return tmp_path


def _problems(folder: Path) -> list[tuple[str | None, str]]:
    with pytest.raises(InputError) as info:
        load_conflicts_config(folder)
    assert all(p.file.endswith("conflicts.toml") and p.row is None for p in info.value.problems)
    return [(p.column, p.message) for p in info.value.problems]


class TestConfig:
    def test_missing_file_runs_everything(self, tmp_path: Path) -> None:
        s = load_conflicts_config(tmp_path)
        assert s.disabled == () and s.extra == ()

    def test_disabled_and_extra_from_dotted_path(self, tmp_path: Path) -> None:
        s = load_conflicts_config(
            _config(tmp_path, 'disabled = ["siblings_divergent_plans"]\nextra = ["test_conflicts:MyRule"]\n')
        )
        assert s.disabled == ("siblings_divergent_plans",)
        assert [type(r).__name__ for r in s.extra] == ["MyRule"]
        frame = run_rules(_mixed(), AS_OF, s.disabled, s.extra)
        assert "no_home_location" in set(frame.rule)

    def test_unknown_key(self, tmp_path: Path) -> None:
        assert _problems(_config(tmp_path, 'disable = ["dual_plan"]\n')) == [
            ("disable", "unknown key; the keys are 'disabled' and 'extra'")
        ]

    def test_wrong_type(self, tmp_path: Path) -> None:
        [(key, _)] = _problems(_config(tmp_path, 'disabled = "dual_plan"\n'))
        assert key == "disabled"

    def test_unknown_rule_code(self, tmp_path: Path) -> None:
        [(key, msg)] = _problems(_config(tmp_path, 'disabled = ["review_overdu"]\n'))
        assert key == "disabled" and "'review_overdu'" in msg and "review_overdue" in msg

    @pytest.mark.parametrize(
        ("dotted", "words"),
        [
            ("no_such_module_xyz:Rule", "No module named 'no_such_module_xyz'"),
            ("test_conflicts:NoSuchRule", "cannot import name 'NoSuchRule'"),
            ("test_conflicts.MyRule", "not of the form"),
            ("test_conflicts:NotARule", "is not a conflict rule"),
            ("test_conflicts:DualPlan", "already used by a built-in rule"),
        ],
    )
    def test_bad_extra(self, tmp_path: Path, dotted: str, words: str) -> None:
        [(key, msg)] = _problems(_config(tmp_path, f'extra = ["{dotted}"]\n'))
        assert key == "extra" and words in msg

    def test_not_toml(self, tmp_path: Path) -> None:
        [(key, msg)] = _problems(_config(tmp_path, "disabled = [\n"))
        assert key is None and "not valid TOML" in msg


# ---------------------------------------------------------------------------------------------
# the new children.csv columns
# ---------------------------------------------------------------------------------------------


def test_review_dates_column() -> None:
    c = child("C1", review_dates="01/06/2026; 2026-02-01;", siblings_apart_reason="  ", residential_rationale="x")
    assert c.review_dates == (D(2026, 2, 1), D(2026, 6, 1))
    assert c.siblings_apart_reason is None and c.residential_rationale == "x"
    with pytest.raises(ValueError, match="review date listed twice"):
        child("C1", review_dates="2026-02-01;01/02/2026")
    with pytest.raises(ValueError, match="impossible date"):
        child("C1", review_dates="2026-02-30")


# ---------------------------------------------------------------------------------------------
# the command
# ---------------------------------------------------------------------------------------------


def _invoke(*args: str):
    app = typer.Typer()
    app.command("conflicts")(conflicts_cmd)

    @app.command("other")
    def _other() -> None:  # a second command keeps "conflicts" as a subcommand name
        pass

    return CliRunner().invoke(app, ["conflicts", *args], env={"COLUMNS": "200"})


def test_command_writes_conflicts_csv(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = _invoke(str(TINY), "--out", str(out))
    assert result.exit_code == 0, result.output
    with (out / "conflicts.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == list(COLUMNS)
    assert [(r["child_id"], r["rule"]) for r in rows] == [
        ("C001", "review_overdue"),
        ("C002", "review_overdue"),
        ("C005", "dual_plan"),
    ]
    assert "review_overdue" in result.output and "Wrote" in result.output
    # No names, postcodes or dates of birth in the output.
    text = (out / "conflicts.csv").read_text(encoding="utf-8")
    with (TINY / "children.csv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            assert r["date_of_birth"] not in text
            if r["home_postcode"]:
                assert r["home_postcode"] not in text


def test_command_with_config_and_as_of(tmp_path: Path) -> None:
    case = tmp_path / "case"
    shutil.copytree(TINY, case)
    (case / "conflicts.toml").write_text('disabled = ["dual_plan"]\n', encoding="utf-8")
    out = tmp_path / "out"
    result = _invoke(str(case), "--out", str(out), "--as-of", "2026-10-16")
    assert result.exit_code == 0, result.output
    assert (out / "conflicts.csv").read_text(encoding="utf-8").splitlines() == [",".join(COLUMNS)]


def test_command_bad_config_writes_nothing(tmp_path: Path) -> None:
    case = tmp_path / "case"
    shutil.copytree(TINY, case)
    (case / "conflicts.toml").write_text('extra = ["no_such_module_xyz:Rule"]\n', encoding="utf-8")
    out = tmp_path / "out"
    result = _invoke(str(case), "--out", str(out))
    assert result.exit_code == 2
    assert "conflicts.toml, column extra" in result.output
    assert not out.exists()
