"""Tiny in-memory instances for tests: children and homes on an easting/northing grid."""

from __future__ import annotations

import datetime as dt
from typing import Any

from placements.domain import Child, Place
from placements.instance import Instance
from placements.policy import Policy

AS_OF = dt.date(2026, 11, 23)
MILE = 1609.3  # metres, so that grid positions read as miles in the DfE formula


def born(age: int) -> str:
    """A date of birth giving ``age`` on AS_OF (birthday a month after AS_OF's month start)."""
    return dt.date(AS_OF.year - age - 1, 12, 15).isoformat()


def child(cid: str, age: int = 8, **kw: Any) -> Child:
    data: dict[str, Any] = {
        "child_id": cid,
        "date_of_birth": born(age),
        "sex": "M",
        "status": "needs_placement",
        "home_easting": 0.0,
        "home_northing": 0.0,
    }
    data.update(kw)
    return Child.model_validate(data)


def place(pid: str, miles: float = 1.0, **kw: Any) -> Place:
    data: dict[str, Any] = {
        "place_id": pid,
        "setting": "foster",
        "provider": "in_house",
        "easting": miles * MILE,
        "northing": 0.0,
        "vacancies": 1,
        "age_min": 0,
        "age_max": 17,
        "weekly_cost": 400,
        "la_code": "E06000018",
    }
    data.update(kw)
    return Place.model_validate(data)


def instance(children: list[Child], places: list[Place]) -> Instance:
    return Instance(children=tuple(children), places=tuple(places))


def policy(**kw: Any) -> Policy:
    data: dict[str, Any] = {"as_of": AS_OF, "la_code": "E06000018", "time_limit_seconds": 20, "workers": 1}
    data.update(kw)
    return Policy.model_validate(data)


def cli_output(result: Any) -> str:
    """Everything a CLI command printed (stdout and stderr, however this click version splits them)."""
    out = result.output or ""
    try:
        err = result.stderr or ""
    except (AttributeError, ValueError):
        err = ""
    return out if err in out else out + "\n" + err


def cli_flat(result: Any) -> str:
    """``cli_output`` with whitespace collapsed, so a line the console wrapped reads as one sentence."""
    return " ".join(cli_output(result).split())
