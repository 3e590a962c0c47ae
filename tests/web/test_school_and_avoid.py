"""The referral form's school postcode and areas to avoid (issue 15): the form checks them with the engine's own
parser, and the case folder the application exports and imports carries both, through the engine's reader."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.urls import reverse

from placements.web.audit import Actor
from placements.web.models import Referral
from placements.web.services import casefolder, imports

OFFICER = Actor("officer-user", "officer")
DAY = dt.date(2026, 11, 23)


def _post(client: Client, **extra: str):
    data = {
        "child_id": "N1",
        "date_of_birth": "2015-01-01",
        "sex": "F",
        "status": "needs_placement",
        "urgency": "planned",
        "lives_with_others": "on",
        **extra,
    }
    return client.post(reverse("referral_new"), data)


def test_form_shows_the_fields_with_hints(tiny, users) -> None:
    client = Client()
    client.force_login(users["officer"])
    page = client.get(reverse("referral_new")).content.decode()
    assert 'name="school_postcode"' in page and 'name="avoid_areas"' in page
    assert "Areas to avoid" in page and "districts like NG7, sectors like NG7 2" in page
    assert "not yet used by the match" not in page


def test_form_errors_beside_the_fields(tiny, users) -> None:
    client = Client()
    client.force_login(users["officer"])
    r = _post(client, school_postcode="NOTPOSTC", avoid_areas="NG7;NG7 2RD")
    page = r.content.decode()
    assert r.status_code == 200 and not Referral.objects.filter(child_id="N1").exists()
    assert 'id="id_school_postcode-error"' in page and "Enter the school&#x27;s postcode as a postcode" in page
    assert 'id="id_avoid_areas-error"' in page and 'href="#id_avoid_areas"' in page
    assert "is a full postcode, which names a street: give its sector" in page


def test_form_saves_normalised_values_and_the_export_round_trips(tiny, users, tmp_path) -> None:
    from placements import read_case_folder

    client = Client()
    client.force_login(users["officer"])
    r = _post(client, school_postcode="ng5 1aa", avoid_areas="ng7 2 ; e06000018")
    assert r.status_code == 302, r.content.decode()[:2000]
    saved = Referral.objects.get(child_id="N1")
    assert (saved.school_postcode, saved.avoid_areas) == ("NG5 1AA", "NG7 2;E06000018")

    files = casefolder.build(tiny, DAY)
    header = files["children.csv"].splitlines()[0].split(",")
    assert header.index("school_postcode") + 1 == header.index("avoid_areas")
    folder = read_case_folder(casefolder.write(files, tmp_path / "case"))
    c = {k.child_id: k for k in folder.instance.children}["N1"]
    assert c.school_postcode == "NG5 1AA" and c.school_easting is not None
    assert c.avoid_areas == ("NG7 2", "E06000018")

    # The exported children.csv imported again (another authority's copy) keeps both.
    saved.delete()
    imports.import_children(OFFICER, tiny, files["children.csv"].encode(), "children.csv")
    again = Referral.objects.get(child_id="N1")
    assert (again.school_postcode, again.avoid_areas) == ("NG5 1AA", "NG7 2;E06000018")


def test_import_with_a_bad_area_names_line_and_column_and_imports_nothing(tiny) -> None:
    text = "child_id,date_of_birth,sex,status,avoid_areas\nN1,2015-01-01,F,needs_placement,NG7\nN2,2015-01-01,M,needs_placement,E0600018\n"
    try:
        imports.import_children(OFFICER, tiny, text.encode(), "children.csv")
    except imports.ImportProblems as exc:
        problems = exc.problems
    else:
        raise AssertionError("imported a bad area")
    assert any(p.startswith("children.csv, line 3, column avoid_areas") and "E0600018" in p for p in problems), problems
    assert not Referral.objects.filter(child_id__in=["N1", "N2"]).exists()


def test_a_run_keeps_homes_out_of_avoided_areas_and_words_the_school_part(tiny, users) -> None:
    """Through the worker: C004's only home (P003, NG1 5FS) lies in the sector it must avoid, so it is not
    proposed; C006's school in Nottingham (NG7 2RD) gives its proposal, its kinship carer in Derby, a school_distance
    part."""
    from placements.web.models import Proposal, RunStatus
    from placements.web.services import runs
    from placements.web.views import _parts_in_words
    from placements.web.worker import run_pending

    Referral.objects.filter(child_id="C004").update(avoid_areas="NG1 5")
    Referral.objects.filter(child_id="C006").update(school_postcode="NG7 2RD")
    run = runs.request_run(OFFICER, users["officer"].pk, tiny)
    assert run_pending() == 1
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, run.error
    c004 = Proposal.objects.get(run=run, referral__child_id="C004")
    assert c004.home is None
    c006 = Proposal.objects.get(run=run, referral__child_id="C006")
    assert c006.home is not None and c006.home.place_id == "P004" and c006.score_parts["school_distance"] > 0
    assert _parts_in_words({"school_distance": 30}) == [("distance from the child's school", 30)]


def test_the_api_takes_school_and_areas_to_avoid_checked_as_the_form_checks_them(tiny, users) -> None:
    import hashlib

    from placements.web.models import ApiToken

    key = "token-for-api-referrals"
    ApiToken.objects.create(user=users["officer"], name="test", key_hash=hashlib.sha256(key.encode()).hexdigest())
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    body = {"child_id": "A1", "date_of_birth": "2015-01-01", "sex": "F"}

    def post(**extra: object):
        return client.post("/api/v1/referrals", {**body, **extra}, content_type="application/json")

    r = post(school_postcode="NOTPOSTC", avoid_areas=["NG7", "NG7 2RD"], home_postcode="ZZ99 9ZZ")
    assert r.status_code == 422, r.content
    text = r.json()["detail"]
    assert "school_postcode: Enter the school's postcode as a postcode" in text
    assert "avoid_areas:" in text and "full postcode" in text
    assert "home_postcode:" in text
    assert not Referral.objects.filter(child_id="A1").exists()

    r = post(school_postcode="ng5 1aa", avoid_areas=["ng7 2", "e06000018"])
    assert r.status_code == 201, r.content
    saved = Referral.objects.get(child_id="A1")
    assert (saved.school_postcode, saved.avoid_areas) == ("NG5 1AA", "NG7 2;E06000018")
