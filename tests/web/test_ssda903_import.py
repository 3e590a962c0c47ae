"""Referrals from an SSDA903 return and its supplement, through the engine's own SSDA903 reader."""

from __future__ import annotations

import io
import zipfile

import pytest

from placements.web.audit import Actor
from placements.web.models import Referral
from placements.web.services import imports
from web.conftest import DEMO

OFFICER = Actor("officer-user", "officer")


def _zip(folder) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for f in sorted(folder.iterdir()):
            z.write(f, f"return-2027/{f.name}")
        z.writestr("../outside.csv", "not extracted")
    return buffer.getvalue()


def test_ssda903_import_adds_children_and_never_wipes_what_the_return_lacks(tiny) -> None:
    before = Referral.objects.count()
    ret = _zip(DEMO / "ssda903")
    supplement = b"CHILD,status,urgency,needs,settings\nC0001,needs_placement,emergency,disability,foster\n"
    n = imports.import_ssda903(OFFICER, tiny, ret, supplement)
    assert n == Referral.objects.count() - before > 600
    c = Referral.objects.get(child_id="C0001")
    assert (c.status, c.urgency, c.needs, c.settings) == ("needs_placement", "emergency", "disability", "foster")
    assert c.entered_care_date is not None and c.review_dates  # from the return
    other = Referral.objects.exclude(child_id="C0001").filter(child_id__startswith="C0").first()
    assert other.status == "placed"  # looked after, no supplement row
    # The return again without the supplement: the supplement's fields stay as recorded.
    imports.import_ssda903(OFFICER, tiny, ret, None)
    c.refresh_from_db()
    assert (c.status, c.urgency, c.needs, c.settings) == ("needs_placement", "emergency", "disability", "foster")


def test_ssda903_import_problems_import_nothing(tiny) -> None:
    before = Referral.objects.count()
    with pytest.raises(imports.ImportProblems, match="zip"):
        imports.import_ssda903(OFFICER, tiny, b"not a zip", None)
    bad_supplement = b"CHILD,status\nC0001,asleep\nNOBODY,placed\n"
    with pytest.raises(imports.ImportProblems) as info:
        imports.import_ssda903(OFFICER, tiny, _zip(DEMO / "ssda903"), bad_supplement)
    text = "\n".join(info.value.problems)
    assert "supplement.csv, line 2, column status" in text, text
    assert "line 3" in text and "NOBODY" in text, text
    assert Referral.objects.count() == before
