"""The web application's services: runs through the engine, decisions feeding the next run, imports, failures."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest

from placements.web import audit
from placements.web.audit import Actor
from placements.web.models import (
    Decision,
    DecisionStatus,
    Home,
    MatchRun,
    Proposal,
    Referral,
    RunStatus,
)
from placements.web.services import casefolder, decisions, imports, runs
from placements.web.worker import run_pending

OFFICER = Actor("officer-user", "officer")
MANAGER = Actor("manager-user", "manager")


def _run(user, authority) -> MatchRun:
    run = runs.request_run(OFFICER, user.pk, authority)
    assert run_pending() == 1
    run.refresh_from_db()
    return run


def test_case_folder_round_trips_through_the_engine_reader(tiny, tmp_path) -> None:
    from placements import read_case_folder

    files = casefolder.build(tiny, dt.date(2026, 11, 23))
    folder = read_case_folder(casefolder.write(files, tmp_path / "case"))
    assert {c.child_id for c in folder.instance.children} == set(Referral.objects.values_list("child_id", flat=True))
    assert {p.place_id for p in folder.instance.places} == {"P001", "P002", "P003", "P004"}
    assert folder.instance.decisions == ()
    assert folder.policy.la_code == "E06000018"
    assert casefolder.fingerprint(files) == casefolder.fingerprint(casefolder.build(tiny, dt.date(2026, 11, 23)))


def test_run_stores_proposals_fingerprint_and_engine_version(tiny, users) -> None:
    import placements

    run = _run(users["officer"], tiny)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.engine_version == placements.__version__
    assert run.inputs_fingerprint == casefolder.fingerprint(run.inputs)
    assert run.solver_status == "OPTIMAL" and run.gap == 0.0
    needing = Referral.objects.filter(status="needs_placement").count()
    assert Proposal.objects.filter(run=run).count() == needing == run.summary["needing_placement"]
    placed = Proposal.objects.filter(run=run, home__isnull=False).count()
    assert placed == run.summary["placed"]
    # The stored inputs re-run to the same assignment with the command line's own path.
    from placements import match, read_case_folder, validate

    case = read_case_folder(casefolder.write(run.inputs, _tmp() / "again"))
    again = match(case.instance, case.policy)
    stored = {p.referral.child_id: p.home.place_id for p in Proposal.objects.filter(run=run, home__isnull=False)}
    assert again.assignment == stored
    assert validate(case.instance, again.assignment, again.as_of) == []


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp())


def test_one_run_at_a_time_per_authority(tiny, users) -> None:
    runs.request_run(OFFICER, users["officer"].pk, tiny)
    with pytest.raises(runs.RunRefused):
        runs.request_run(OFFICER, users["officer"].pk, tiny)
    run_pending()
    runs.request_run(OFFICER, users["officer"].pk, tiny)  # allowed again once finished


def test_decisions_feed_the_next_run(tiny, users) -> None:
    first = _run(users["officer"], tiny)
    proposals = {p.referral.child_id: p for p in Proposal.objects.filter(run=first).select_related("home")}
    placed = [p for p in proposals.values() if p.home is not None]
    assert len(placed) >= 2
    accepted, rejected = placed[0], placed[1]
    d1 = decisions.decide(OFFICER, accepted, "accept")
    d2 = decisions.decide(OFFICER, rejected, "reject", "carer_declined")
    assert d2.status == DecisionStatus.REJECTED
    if d1.status == DecisionStatus.AWAITING_APPROVAL:
        decisions.approve(MANAGER, d1, True, "The home meets every need and keeps the child near school.")
    second = _run(users["officer"], tiny)
    assert second.status == RunStatus.SUCCEEDED, second.error
    assert "decisions.csv" in second.inputs and "held" in second.inputs["decisions.csv"]
    now = {p.referral.child_id: p for p in Proposal.objects.filter(run=second).select_related("home")}
    assert accepted.referral.child_id not in now  # held: not matched again
    r = now[rejected.referral.child_id]
    assert r.home_id != rejected.home_id  # the rejected pair is not proposed again
    assert rejected.home_id not in set(r.shortlist.values_list("home_id", flat=True))
    # Withdrawing the rejection makes the pair possible again.
    decisions.withdraw(MANAGER, d2)
    assert "rejected" not in casefolder.build(tiny, dt.date.today())["decisions.csv"]


def test_choose_another_home_needs_a_reason_and_a_shortlisted_home(tiny, users) -> None:
    run = _run(users["officer"], tiny)
    p = next(
        p for p in Proposal.objects.filter(run=run, home__isnull=False) if p.shortlist.exclude(home=p.home).exists()
    )
    other = p.shortlist.exclude(home=p.home).first().home
    with pytest.raises(decisions.DecisionError, match="reason"):
        decisions.decide(OFFICER, p, "choose_other", "", other)
    not_listed = Home.objects.exclude(pk__in=p.shortlist.values("home")).first()
    if not_listed is not None:
        with pytest.raises(decisions.DecisionError, match="shortlist"):
            decisions.decide(OFFICER, p, "choose_other", "closer_to_school", not_listed)
    d = decisions.decide(OFFICER, p, "choose_other", "closer_to_school", other)
    assert d.home == other and d.reason_code == "closer_to_school"
    with pytest.raises(decisions.AlreadyDecided, match="already decided"):
        decisions.decide(OFFICER, p, "accept")
    assert Decision.objects.filter(proposal=p).count() == 1


def test_out_of_area_needs_a_manager_and_a_rationale(tiny, users) -> None:
    run = _run(users["officer"], tiny)
    p = Proposal.objects.filter(run=run, home__isnull=False, in_area=False).first()
    assert p is not None, "tiny has a home in Derby: some child is proposed out of area"
    assert "out_of_area" in p.approvals_needed
    d = decisions.decide(OFFICER, p, "accept")
    assert d.status == DecisionStatus.AWAITING_APPROVAL
    with pytest.raises(decisions.DecisionError, match="manager"):
        decisions.approve(OFFICER, d, True, "An officer may not approve this placement at all.")
    with pytest.raises(decisions.DecisionError, match="rationale"):
        decisions.approve(MANAGER, d, True, "ok")
    approval = decisions.approve(MANAGER, d, True, "Kinship carer in Derby: the plan is to live with family.")
    d.refresh_from_db()
    assert d.status == DecisionStatus.HELD and approval.decided_role == "manager"
    moved = decisions.record_move(OFFICER, d)
    home = Home.objects.get(pk=d.home_id)
    referral = Referral.objects.get(pk=d.referral_id)
    assert moved.status == DecisionStatus.PLACED
    assert referral.status == "placed" and referral.current_place_id == home.pk
    # The audit names the approval's rationale by its length only: free text never enters the audit.
    ev = [e for e in audit.AuditEvent.objects.filter(action="approval.approve")]
    assert ev and "Kinship" not in str(ev[0].after) and ev[0].after["rationale_chars"] > 10


def test_a_failed_run_keeps_the_previous_proposals_and_says_why(tiny, users) -> None:
    first = _run(users["officer"], tiny)
    p = Proposal.objects.filter(run=first, home__isnull=False, approvals_needed=[]).first()
    decisions.decide(OFFICER, p, "accept")
    # The held home stops taking the child's age: the hold is no longer lawful and the next run must say so.
    age = p.referral.age_on(dt.date.today())
    Home.objects.filter(pk=p.home_id).update(age_min=age + 1, age_max=max(age + 1, 17))
    second = _run(users["officer"], tiny)
    assert second.status == RunStatus.FAILED
    assert "decisions.csv" in second.error and "age" in second.error
    from placements.web.selectors import latest_run

    assert latest_run() == first
    assert Proposal.objects.filter(run=first).count() > 0
    assert Decision.objects.filter(proposal=p, status=DecisionStatus.HELD).exists()


def test_interrupted_run_is_marked_failed(tiny, users) -> None:
    run = runs.request_run(OFFICER, users["officer"].pk, tiny)
    claimed = runs.claim_next()
    assert claimed is not None and claimed.pk == run.pk
    assert runs.fail_interrupted() == 1  # what a restarted worker does first
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and "interrupted" in run.error


def test_bad_places_import_names_line_and_column_and_imports_nothing(tiny) -> None:
    before = Home.objects.count()
    text = (
        (DATA_TINY / "places.csv")
        .read_text()
        .replace("P004,foster,in_house,DE1 1AA,,1", "P009,foster,in_house,DE1 1AA,,-1")
    )
    text = text.replace("P001,foster", "P001,castle")
    with pytest.raises(imports.ImportProblems) as info:
        imports.import_places(OFFICER, tiny, text.encode(), "new-places.csv")
    problems = info.value.problems
    assert any(p.startswith("new-places.csv, line 2, column setting") for p in problems), problems
    assert any(p.startswith("new-places.csv, line 5, column vacancies") for p in problems), problems
    assert Home.objects.count() == before and not Home.objects.filter(place_id="P009").exists()


def test_bad_children_import_imports_nothing(tiny) -> None:
    before = list(Referral.objects.order_by("child_id").values_list("child_id", "sex"))
    text = "child_id,date_of_birth,sex,status\nN1,2015-01-01,F,needs_placement\nN2,31/02/2015,M,needs_placement\n"
    with pytest.raises(imports.ImportProblems) as info:
        imports.import_children(OFFICER, tiny, text.encode(), "children.csv")
    assert any("children.csv, line 3, column date_of_birth" in p for p in info.value.problems), info.value.problems
    assert list(Referral.objects.order_by("child_id").values_list("child_id", "sex")) == before


def test_export_zip_holds_the_case_folder(tiny) -> None:
    files = casefolder.build(tiny, dt.date(2026, 11, 23))
    z = zipfile.ZipFile(io.BytesIO(casefolder.zip_bytes(files, "case")))
    assert sorted(z.namelist()) == ["case/children.csv", "case/decisions.csv", "case/places.csv", "case/policy.toml"]


from pathlib import Path  # noqa: E402

DATA_TINY = Path(__file__).resolve().parents[1] / "data" / "tiny"
