"""The team's day in headless Chromium (Debian's, driven by Playwright), with axe on every page.

An officer signs in, enters a referral, runs a match, accepts one proposal, chooses another home for
a second child with a reason and rejects a third; a manager approves an out-of-area placement; a
read-only user is refused a decision; the next match respects every decision. axe-core reports no
serious or critical violation on any page visited. Screenshots go to out/web-screenshots/.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from web.conftest import PASSWORD, make_user

CHROMIUM = os.environ.get("PLACEMENTS_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = Path(__file__).resolve().parents[2] / "out" / "web-screenshots"


def _need_browser() -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("PLACEMENTS_REQUIRE_BROWSER") == "1":
            pytest.fail(f"no Chromium at {CHROMIUM}")
        pytest.skip(f"no Chromium at {CHROMIUM}")


class Pages:
    """Visits pages, checks each with axe, keeps a screenshot."""

    def __init__(self, browser, base: str) -> None:
        from axe_playwright_python.sync_playwright import Axe

        self.browser, self.base, self.axe = browser, base, Axe()
        self.violations: list[str] = []
        self.checked: list[str] = []

    def sign_in(self, username: str):
        context = self.browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.goto(self.base + "/login/")
        self.check(page, "login")
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        page.click("button:has-text('Sign in')")
        page.wait_for_url(self.base + "/")
        return page

    def check(self, page, name: str) -> None:
        result = self.axe.run(page)
        for v in result.response["violations"]:
            if v["impact"] in ("serious", "critical"):
                targets = [n["target"] for n in v["nodes"]][:3]
                self.violations.append(f"{name}: {v['id']} ({v['impact']}) {v['help']} at {targets}")
        self.checked.append(name)
        page.screenshot(path=str(SHOTS / f"{len(self.checked):02d}-{name}.png"), full_page=True)

    def visit(self, page, path: str, name: str) -> None:
        page.goto(self.base + path)
        self.check(page, name)


def test_the_teams_day_in_chromium(live_app, monkeypatch) -> None:
    _need_browser()
    # Playwright's sync API runs an event loop in this thread; the test reads the database between steps.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import expect, sync_playwright

    from placements.web.models import Decision, DecisionStatus, MatchRun, Proposal, Referral
    from web.conftest import DATA, load_authority

    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    load_authority(DATA / "tiny")
    for role in ("officer", "manager", "read_only", "commissioner"):
        make_user(role)
    base = live_app.url

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        pages = Pages(browser, base)
        officer = pages.sign_in("officer-user")
        pages.check(officer, "overview")

        # 1. A referral, entered in the form (an error first: shown beside the field and in the summary).
        officer.goto(base + "/referrals/new/")
        pages.check(officer, "referral-form")
        officer.fill("#id_child_id", "N001")
        officer.click("button:has-text('Save referral')")
        expect(officer.locator(".govuk-error-summary")).to_be_visible()  # waits for the page the click submitted
        expect(officer.locator("#id_date_of_birth-error")).to_be_visible()  # waits for the page the click submitted
        pages.check(officer, "referral-form-errors")
        officer.fill("#id_date_of_birth", "2017-05-04")
        officer.select_option("#id_sex", "F")
        officer.select_option("#id_status", "needs_placement")
        officer.select_option("#id_urgency", "planned")
        officer.fill("#id_home_postcode", "NG7 2RD")
        officer.check("#id_suitable_settings_0")  # foster
        officer.click("button:has-text('Save referral')")
        officer.wait_for_url(base + "/referrals/N001/")
        pages.check(officer, "child-record")
        assert Referral.objects.filter(child_id="N001", settings="foster").exists()

        # 2. A match, run by the background worker; the page follows it.
        officer.goto(base + "/runs/")
        officer.click('button:has-text("Run today\'s match")')
        officer.wait_for_selector("text=Match finished", timeout=60_000)
        pages.check(officer, "run-finished")
        run1 = MatchRun.objects.get()
        assert run1.status == "succeeded"
        officer.goto(base + "/proposals/")
        pages.check(officer, "proposals")
        props = list(Proposal.objects.filter(run=run1, home__isnull=False).select_related("referral", "home"))
        assert Proposal.objects.filter(run=run1, referral__child_id="N001").exists()

        # 3. Accept one proposal that needs no approval.
        plain = next(q for q in props if not q.approvals_needed)
        officer.goto(f"{base}/proposals/{plain.pk}/")
        pages.check(officer, "proposal")
        officer.click("#accept")
        officer.wait_for_url(base + "/proposals/")
        assert Decision.objects.get(proposal=plain).status == DecisionStatus.HELD

        # 4. Choose another home from the shortlist for a second child, with a reason (an error first).
        second = next(
            q for q in props if q.pk != plain.pk and q.shortlist.exclude(home=q.home).exclude(home=plain.home).exists()
        )
        other = second.shortlist.exclude(home=second.home).exclude(home=plain.home).first().home
        officer.goto(f"{base}/proposals/{second.pk}/")
        officer.check(f"input[name=other_home][value='{other.place_id}']")
        officer.click("#choose")
        expect(officer.locator("#id_choose_reason-error")).to_be_visible()  # waits for the page the click submitted
        pages.check(officer, "proposal-choose-error")
        officer.check(f"input[name=other_home][value='{other.place_id}']")
        officer.select_option("#id_choose_reason", "closer_to_school")
        officer.click("#choose")
        officer.wait_for_url(base + "/proposals/")
        chosen = Decision.objects.get(proposal=second)
        assert (chosen.kind, chosen.home_id, chosen.reason_code) == ("choose_other", other.pk, "closer_to_school")

        # 5. Accept the out-of-area proposal: it waits for a manager.
        away = next(q for q in props if "out_of_area" in q.approvals_needed and q.pk not in (plain.pk, second.pk))
        officer.goto(f"{base}/proposals/{away.pk}/")
        officer.click("#accept")
        officer.wait_for_url(base + "/proposals/")
        expect(
            officer.locator("text=a manager must approve it first")
        ).to_be_visible()  # waits for the page the click submitted
        assert Decision.objects.get(proposal=away).status == DecisionStatus.AWAITING_APPROVAL

        # 6. Reject a fourth with a coded reason.
        rest = [q for q in props if q.pk not in (plain.pk, second.pk, away.pk) and q.home_id != other.pk]
        rejected = rest[0]
        officer.goto(f"{base}/proposals/{rejected.pk}/")
        officer.select_option("#id_reject_reason", "carer_declined")
        officer.click("#reject")
        officer.wait_for_url(base + "/proposals/")
        pages.check(officer, "proposals-decided")
        for path, name in [
            ("/register/", "register"),
            (f"/register/{plain.home.place_id}/", "home"),
            ("/referrals/", "referrals"),
            ("/decisions/", "decisions"),
            ("/runs/", "runs"),
            ("/import/", "import"),
            ("/export/", "export"),
            ("/account/tokens/", "tokens"),
        ]:
            pages.visit(officer, path, name)

        # 7. The manager approves the out-of-area placement with a rationale (an error first).
        manager = pages.sign_in("manager-user")
        pages.visit(manager, "/approvals/", "approvals")
        manager.click(f"a[href='/approvals/{Decision.objects.get(proposal=away).pk}/']")
        pages.check(manager, "approval")
        manager.check("#id_outcome_0")
        manager.click("#record-approval")
        expect(manager.locator("#id_rationale-error")).to_be_visible()  # waits for the page the click submitted
        pages.check(manager, "approval-error")
        manager.check("#id_outcome_0")
        manager.fill("#id_rationale", "Connected-person carer in Derby; the plan is for the child to live with family.")
        manager.click("#record-approval")
        manager.wait_for_url(base + "/approvals/")
        d = Decision.objects.select_related("approval").get(proposal=away)
        assert d.status == DecisionStatus.HELD and d.approval.approved and d.approval.decided_role == "manager"
        pages.visit(manager, "/audit/", "audit")
        manager.click("button:has-text('Verify the chain')")
        assert manager.locator("h2.govuk-panel__title").inner_text() == "Chain intact"

        # 8. Read-only: sees the proposals, has no decision form, and the server refuses a forged decision.
        reader = pages.sign_in("read_only-user")
        undecided = next(
            q for q in Proposal.objects.filter(run=run1) if not Decision.objects.filter(proposal=q).exists()
        )
        pages.visit(reader, f"/proposals/{undecided.pk}/", "proposal-read-only")
        assert reader.locator("#accept").count() == 0
        token = next(c["value"] for c in reader.context.cookies() if c["name"] == "csrftoken")
        refused = reader.request.post(
            f"{base}/proposals/{undecided.pk}/",
            form={"kind": "accept", "csrfmiddlewaretoken": token},
            headers={"Referer": f"{base}/proposals/{undecided.pk}/", "X-CSRFToken": token},
        )
        assert refused.status == 403 and "Your role does not allow" in refused.text()
        assert not Decision.objects.filter(proposal=undecided).exists()

        commissioner = pages.sign_in("commissioner-user")
        pages.visit(commissioner, "/sufficiency/", "sufficiency")

        # 9. The next match respects every decision.
        officer.goto(base + "/runs/")
        officer.click('button:has-text("Run today\'s match")')
        officer.wait_for_selector("text=Match finished", timeout=60_000)
        run2 = MatchRun.objects.filter(status="succeeded").order_by("-id").first()
        assert run2.pk != run1.pk
        now = {q.referral_id: q for q in Proposal.objects.filter(run=run2)}
        for held in (plain, second, away):
            assert held.referral_id not in now, "a held child is matched again"
        r = now[rejected.referral_id]
        assert r.home_id != rejected.home_id
        assert not r.shortlist.filter(home=rejected.home).exists()
        pages.visit(officer, "/proposals/", "proposals-next-day")
        browser.close()

    from placements import read_case_folder, validate
    from placements.web.services import casefolder

    case = read_case_folder(casefolder.write(run2.inputs, SHOTS.parent / "web-next-day-case"))
    assignment = {q.referral.child_id: q.home.place_id for q in Proposal.objects.filter(run=run2, home__isnull=False)}
    assert validate(case.instance, assignment, run2.as_of) == []
    assert set(case.instance.held) == {q.referral.child_id for q in (plain, second, away)}
    assert (rejected.referral.child_id, rejected.home.place_id) in case.instance.rejected
    assert len(pages.checked) >= 25
    assert pages.violations == [], "\n".join(pages.violations)
