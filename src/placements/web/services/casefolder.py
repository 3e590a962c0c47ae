"""The register and referrals as a case folder (children.csv, places.csv, decisions.csv, policy.toml).

The same files are the input of every match run (stored with the run, fingerprinted) and the
day's export, so ``placements match`` on the exported folder re-runs the day exactly.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from pathlib import Path

from placements.io import case_folder
from placements.io.case_folder import columns_except
from placements.io.writers import csv_cell
from placements.web.models import HOLDING, Authority, Decision, DecisionStatus, Home, Referral

#: The register and referral columns the application keeps, in the case folder's order.
PLACE_COLUMNS = columns_except(case_folder.PLACE_COLUMNS, "approved_places")
CHILD_COLUMNS = columns_except(case_folder.CHILD_COLUMNS, "siblings_apart_reason", "residential_rationale")
DECISION_COLUMNS = case_folder.DECISIONS_REQUIRED


def home_row(h: Home) -> dict[str, str]:
    values = {c: getattr(h, c) for c in PLACE_COLUMNS}
    return {k: csv_cell(v) for k, v in values.items()}


def referral_row(r: Referral) -> dict[str, str]:
    values = {c: getattr(r, c, None) for c in CHILD_COLUMNS}
    values["current_place_id"] = r.current_place.place_id if r.current_place_id else ""
    return {k: csv_cell(v) for k, v in values.items()}


def _csv(columns: tuple[str, ...], rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def engine_decisions(authority: Authority) -> list[dict[str, str]]:
    """decisions.csv rows: each child's hold (awaiting approval or held) and every standing rejection."""
    rows = []
    live = Decision.objects.filter(
        referral__authority=authority, status__in=[*HOLDING, DecisionStatus.REJECTED]
    ).select_related("referral", "home")
    seen: set[tuple[str, str]] = set()
    for d in live.order_by("referral__child_id", "home__place_id", "id"):
        code = d.engine_code
        pair = (d.referral.child_id, d.home.place_id)
        if code is None or pair in seen:
            continue
        seen.add(pair)
        rows.append({"child_id": pair[0], "place_id": pair[1], "decision": code.value})
    return rows


def policy_toml(authority: Authority, as_of: dt.date) -> str:
    """The authority's policy with the run's as-of date and area code first (later keys may not repeat them)."""
    lines = [
        "# Written by the placements web application.",
        f"as_of = {as_of.isoformat()}",
        f'la_code = "{authority.la_code}"',
    ]
    for line in authority.policy_toml.splitlines():
        key = line.split("=", 1)[0].strip()
        if key in ("as_of", "la_code"):
            continue
        lines.append(line)
    return "\n".join(lines) + "\n"


def build(authority: Authority, as_of: dt.date) -> dict[str, str]:
    """The case folder of the authority's current register, referrals and decisions: file name -> text."""
    homes = Home.objects.filter(authority=authority).order_by("place_id")
    referrals = Referral.objects.filter(authority=authority).select_related("current_place").order_by("child_id")
    return {
        "children.csv": _csv(CHILD_COLUMNS, [referral_row(r) for r in referrals]),
        "places.csv": _csv(PLACE_COLUMNS, [home_row(h) for h in homes]),
        "decisions.csv": _csv(DECISION_COLUMNS, engine_decisions(authority)),
        "policy.toml": policy_toml(authority, as_of),
    }


def fingerprint(files: dict[str, str]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name].encode("utf-8") + b"\0")
    return digest.hexdigest()


def write(files: dict[str, str], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def zip_bytes(files: dict[str, str], folder_name: str) -> bytes:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name in sorted(files):
            info = zipfile.ZipInfo(f"{folder_name}/{name}", date_time=(2000, 1, 1, 0, 0, 0))
            z.writestr(info, files[name])
    return buffer.getvalue()
