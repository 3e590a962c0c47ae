"""Pages as an officer reads them: the register's stale flags and cache, a failed run's message, the proposals' order."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.urls import reverse

from placements.web.audit import Actor
from placements.web.models import Home, MatchRun
from placements.web.services import register, runs
from placements.web.worker import run_pending

OFFICER = Actor("officer-user", "officer")


def test_register_flags_stale_vacancies_and_shows_each_change(tiny, users) -> None:
    client = Client()
    client.force_login(users["officer"])
    home = Home.objects.get(place_id="P002")
    Home.objects.filter(pk=home.pk).update(vacancies_confirmed_on=dt.date.today() - dt.timedelta(days=30))
    page = client.get(reverse("register")).content.decode()
    row = page[page.index(">P002<") : page.index("</tr>", page.index(">P002<"))]
    assert "Not confirmed recently" in row
    home.refresh_from_db()
    register.confirm_vacancies(OFFICER, home, 3, home.version)  # the cached table must not hide this
    page = client.get(reverse("register")).content.decode()
    row = page[page.index(">P002<") : page.index("</tr>", page.index(">P002<"))]
    assert "Not confirmed recently" not in row and ">3<" in row
    stale_only = client.get(reverse("register") + "?only=stale").content.decode()
    assert ">P002<" not in stale_only


def test_a_match_warns_about_stale_vacancies(tiny, users) -> None:
    Home.objects.filter(place_id="P001").update(vacancies_confirmed_on=dt.date.today() - dt.timedelta(days=30))
    runs.request_run(OFFICER, users["officer"].pk, tiny)
    run_pending()
    run = MatchRun.objects.get()
    assert any("P001" in w and "not confirmed" in w for w in run.warnings), run.warnings
    client = Client()
    client.force_login(users["officer"])
    assert "P001" in client.get(reverse("proposals")).content.decode()


def test_failed_run_page_says_the_earlier_proposals_stand(tiny, users) -> None:
    runs.request_run(OFFICER, users["officer"].pk, tiny)
    run_pending()
    Home.objects.filter(place_id="P001").update(age_min=5, age_max=3)  # an impossible approval: the reader refuses it
    bad = runs.request_run(OFFICER, users["officer"].pk, tiny)
    run_pending()
    bad.refresh_from_db()
    assert bad.status == "failed" and "places.csv" in bad.error and "age_max" in bad.error
    client = Client()
    client.force_login(users["officer"])
    page = client.get(reverse("run", args=[bad.pk])).content.decode()
    assert "did not finish" in page and "Earlier proposals and every decision are unchanged" in page


def test_proposals_list_emergencies_first(tiny, users) -> None:
    runs.request_run(OFFICER, users["officer"].pk, tiny)
    run_pending()
    client = Client()
    client.force_login(users["read_only"])
    page = client.get(reverse("proposals")).content.decode()
    table = page[page.index('id="proposals"') :]
    assert table.index("C004") < min(table.index(c) for c in ("C001", "C002", "C005"))  # C004 is the emergency


def test_import_page_lists_every_problem_and_imports_nothing(tiny, users) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = Client()
    client.force_login(users["officer"])
    assert "govuk-error-message" in client.post(reverse("imports"), {}).content.decode()  # nothing chosen
    bad = b"place_id,setting,provider,postcode,vacancies,age_min,age_max,weekly_cost\nH9,castle,private,NG7 2RD,1,0,17,900\n"
    r = client.post(reverse("imports"), {"kind": "places", "file": SimpleUploadedFile("mine.csv", bad)})
    page = r.content.decode()
    assert "Nothing was imported" in page and "places.csv, line 2, column setting" in page
    assert not Home.objects.filter(place_id="H9").exists()
    good = bad.replace(b"castle", b"residential")
    r = client.post(reverse("imports"), {"kind": "places", "file": SimpleUploadedFile("mine.csv", good)})
    assert r.status_code == 302 and Home.objects.filter(place_id="H9", setting="residential").exists()
