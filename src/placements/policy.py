"""The authority's policy: as-of date, area code, weights of the quality score, solver limits.

Loadable from ``policy.toml`` in a case folder; every field has a documented default
(see ``docs/case-folder.md``). Unknown keys are errors, so a typo never silently falls
back to a default.
"""

from __future__ import annotations

import datetime as dt
import difflib
import tomllib
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, ValidationError, model_serializer

from placements.codes import OfstedRating
from placements.errors import InputError, Problem


class Weights(BaseModel):
    """Penalty points of the quality score (tier 4), per child and home; lower is better.

    The defaults put the law's preferences first: a setting lower in the child's list, or a
    non-family setting for an under-12, costs more than 100 miles of distance.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    setting_rank: int = Field(150, ge=0, description="per step down the child's list of suitable settings")
    under12_not_family: int = Field(400, ge=0, description="an under-12 anywhere but a foster family")
    plan_fit: int = Field(150, ge=0, description="a long-term foster plan with a carer not approved long-term")
    not_kinship: int = Field(120, ge=0, description="a child with an approved connected-person carer placed elsewhere")
    sibling_apart: int = Field(
        200, ge=0, description="per sibling being matched who does not share the child's home (or has none)"
    )
    apart_from_placed_sibling: int = Field(
        100, ge=0, description="a child whose sibling already lives in a home, placed in another"
    )
    per_mile: int = Field(3, ge=0, description="per mile from the family home, up to distance_cap_miles")
    distance_cap_miles: float = Field(100.0, gt=0)
    per_school_mile: int = Field(
        3,
        ge=0,
        description=(
            "per mile from the child's school (children.csv's school_postcode), up to distance_cap_miles; nothing "
            "for a child with no school postcode. As per_mile: a mile from school weighs what a mile from the family "
            "does, so a home near both wins and 50 miles from school still costs less than one step down the child's "
            "list of settings"
        ),
    )
    out_of_area: int = Field(60, ge=0, description="a home outside the authority's area")
    per_100_gbp_week: int = Field(4, ge=0, description="per GBP 100 of weekly cost")
    moves_settled_child: int = Field(
        150,
        ge=0,
        description=(
            "a settled child (one living in a home today, in a whole-cohort match or a recruitment plan) proposed "
            "another home: what a move costs the child. Under the stability rule a move must also gain the child at "
            "least this much by the score's own measures (see Policy.stability)"
        ),
    )

    @model_serializer(mode="wrap")
    def _later_when_set(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Weights added after the first release are written only when not the default, so a policy that does
        not change them serialises as it always did (the bench's instance fingerprints stay valid)."""
        data: dict[str, Any] = handler(self)
        for name in LATER_WEIGHTS:
            if name in data and getattr(self, name) == Weights.model_fields[name].default:
                del data[name]
        return data


#: Weights added after the first release (issue 15's school distance): see ``Weights._later_when_set``.
LATER_WEIGHTS = ("per_school_mile",)


class OfstedRule(BaseModel):
    """Which Ofsted judgements of a home the authority accepts (``[ofsted]`` in policy.toml).

    A home whose latest overall judgement is in ``never`` is not admissible for any child. One in
    ``needs_approval`` is admissible only for the children a manager has approved for it (the home's
    ``ofsted_approved_for`` column, which the web application's approvals can fill in). A home with
    no judgement (not yet inspected, or not a children's home) is never held back by this rule.
    A child's current home is exempt: the rule is about proposing homes, not about moving children.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    never: tuple[OfstedRating, ...] = Field((OfstedRating.INADEQUATE,), description="judgements never accepted")
    needs_approval: tuple[OfstedRating, ...] = Field(
        (OfstedRating.REQUIRES_IMPROVEMENT,), description="judgements accepted only for approved children"
    )

    def blocks(self, rating: OfstedRating | None, approved: bool) -> bool:
        """Whether a home of this judgement is held back for a child (approved or not)."""
        return rating is not None and (rating in self.never or (rating in self.needs_approval and not approved))


class Policy(BaseModel):
    """Everything about a match that is a choice rather than a fact about children and homes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    as_of: dt.date | None = Field(None, description="the day ages are taken on; default today")
    la_code: str | None = Field(None, description="the authority's ONS code (e.g. E06000018) for in/out of area")
    weights: Weights = Field(default_factory=Weights)
    stability: Literal["protect", "strict", "allow_moves"] = Field(
        "protect",
        description=(
            "when children who live in a home today are matched again (whole cohort, gaps, recruit). protect: none "
            "is left without a home, moved to a less preferred setting (never out of a foster family), away from a "
            "kinship carer or from brothers and sisters, or to a home that cannot deliver their plan; distance and "
            "being in the authority's area may trade against the child's own other gains, and a move must gain the "
            "child at least weights.moves_settled_child in all. strict: as protect, and no part of the child's score "
            "(distance and area included) may be worse. allow_moves: any lawful home, as if every child needed one "
            "(a move still costs weights.moves_settled_child). See docs/case-folder.md"
        ),
    )
    ofsted: OfstedRule = Field(default_factory=OfstedRule)
    backend: Literal["scip", "highs", "cpsat"] = Field(
        "scip", description="solver: SCIP or HiGHS (MIP, shipped in OR-Tools) or CP-SAT; see docs/solvers.md"
    )
    time_limit_seconds: float = Field(60.0, gt=0, description="wall-clock limit for the whole solve")
    workers: int = Field(2, ge=1, le=64, description="CP-SAT search workers (the MIP back ends use one)")
    seed: int = Field(0, ge=0, description="random seed of the solver")
    shortlist_size: int = Field(5, ge=1, le=50)
    candidates_per_setting: int | None = Field(
        None,
        ge=1,
        description=(
            "at region or national scale, consider per child only the nearest this-many admissible homes of each "
            "setting (and any connected-person carer named for them); blank = every admissible home. The answer and "
            "its bound are then those of the pruned model: see docs/solvers.md"
        ),
    )

    @model_serializer(mode="wrap")
    def _ofsted_when_set(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """The ``[ofsted]`` rule is written only when it is not the default, so a policy that does not
        change it serialises as it always did (the bench's instance fingerprints stay valid)."""
        data: dict[str, Any] = handler(self)
        if self.ofsted == OfstedRule():
            data.pop("ofsted", None)
        return data

    def as_of_date(self) -> dt.date:
        return self.as_of or dt.date.today()

    def replace(self, **changes: Any) -> Policy:
        return self.model_validate({**self.model_dump(), **changes})


def load_policy(path: Path) -> Policy:
    """Read ``policy.toml``; a missing file gives the defaults."""
    if not path.exists():
        return Policy()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError([Problem(file=str(path), row=None, column=None, message=f"not valid TOML: {exc}")]) from None
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        problems = [
            Problem(
                file=str(path),
                row=None,
                column=".".join(str(p) for p in err["loc"]),
                message=(
                    "unknown key, not permitted in policy.toml" + unknown_key_hint(Policy, err["loc"])
                    if err["type"] == "extra_forbidden"
                    else err["msg"]
                ),
            )
            for err in exc.errors()
        ]
        raise InputError(problems) from None


def unknown_key_hint(model: type[BaseModel], loc: tuple[int | str, ...]) -> str:
    """``; did you mean 'x'?`` for a misspelt key at any nesting level (else the keys allowed there).

    ``loc`` is pydantic's location of the unknown key, e.g. ``("weights", "per_mille")``: the
    tables on the way are followed through the models' fields to the one the key was found in.
    """
    here: type[BaseModel] | None = model
    for part in loc[:-1]:
        if isinstance(part, int):  # an item of a list of tables
            continue
        field = here.model_fields.get(str(part)) if here is not None else None
        here = _model_in(field.annotation) if field is not None else None
    if here is None:
        return ""
    known = sorted(here.model_fields)
    close = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
    if close:
        return f"; did you mean {close[0]!r}?"
    return "; the keys allowed here are " + ", ".join(known)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds, directly or as the items of a list or an optional value."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None
