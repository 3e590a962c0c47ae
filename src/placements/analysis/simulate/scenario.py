"""Scenario files (``scenarios/*.toml``): what a commissioner changes, as data.

A scenario is a horizon, a number of runs and a seed, plus shifts in demand, supply (carers
leaving, recruitment campaigns by carer profile, other authorities' use of places), price
inflation and policy changes. Unknown keys are errors, and every error names the file, the key
and the allowed values, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import ErrorDetails

from placements.codes import AGE_BANDS, Need, PlaceSex
from placements.errors import InputError, Problem
from placements.policy import Policy, unknown_key_hint

BAND_LABELS: tuple[str, ...] = tuple(label for label, _, _ in AGE_BANDS)
#: Carer age groups for age-related attrition (Ofsted 2024: about 65% of carers are over 50).
CarerAgeGroup = Literal["under 50", "50-59", "60+"]
CARER_AGE_GROUPS: tuple[CarerAgeGroup, ...] = get_args(CarerAgeGroup)


def _by_carer_age(under_50: float, from_50: float, from_60: float) -> dict[CarerAgeGroup, float]:
    return {"under 50": under_50, "50-59": from_50, "60+": from_60}


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Demand(_Strict):
    """Multipliers on the fitted demand model (1.0 = as in the history)."""

    entry_multiplier: float = Field(1.0, ge=0, description="all entrants other than asylum seekers")
    age_band_multiplier: dict[Literal["under 1", "1-4", "5-9", "10-15", "16+"], float] = Field(
        default_factory=dict, description="entrants of an age band (DfE bands), on top of entry_multiplier"
    )
    uasc_multiplier: float = Field(1.0, ge=0, description="unaccompanied asylum-seeking children arriving")
    exit_multiplier: float = Field(1.0, ge=0, description="children leaving care before 18")
    move_multiplier: float = Field(1.0, ge=0, description="placements ending (moves)")
    emergency_share: float = Field(0.22, ge=0, le=1, description="entrants needing a home the same day")


class CarerProfile(_Strict):
    """A kind of fostering household a campaign recruits (one row of places.csv when approved)."""

    provider: Literal["in_house", "ifa"] = "in_house"
    approved_places: int = Field(2, ge=1, le=6)
    age_min: int = Field(0, ge=0, le=17)
    age_max: int = Field(17, ge=0, le=17)
    sex: PlaceSex = PlaceSex.ANY
    meets_needs: tuple[Need, ...] = ()
    weekly_cost: float = Field(450.0, ge=0, description="GBP per child per week at today's prices")
    long_term: bool = False
    sibling_exemption: bool = False
    in_area_share: float = Field(0.6, ge=0, le=1, description="share of new households inside the authority")

    @model_validator(mode="after")
    def _ages(self) -> CarerProfile:
        if self.age_min > self.age_max:
            raise ValueError(f"age_min {self.age_min} is above age_max {self.age_max}")
        return self


class Campaign(_Strict):
    """Households of one profile approved each month from ``start_month`` to ``end_month`` (1-based)."""

    profile: str
    households_per_month: float = Field(gt=0, description="mean; each month draws a Poisson number")
    start_month: int = Field(1, ge=1)
    end_month: int | None = Field(None, ge=1, description="last month; blank = to the horizon")


class Supply(_Strict):
    """Fostering households joining and leaving, other authorities' use of places, new homes."""

    foster_leaving_per_year: float = Field(
        0.113, ge=0, le=1, description="share of households leaving a year (Ofsted 2024: 4,820 of 42,615)"
    )
    foster_joining_per_year: float = Field(
        0.095, ge=0, le=1, description="households joining a year per starting household (Ofsted 2024: 4,055 of 42,615)"
    )
    carer_age_shares: dict[CarerAgeGroup, float] = Field(
        default_factory=lambda: _by_carer_age(0.35, 0.35, 0.30),
        description="carers' ages at the start (Ofsted 2024: about 65% over 50)",
    )
    leaving_ratio: dict[CarerAgeGroup, float] = Field(
        default_factory=lambda: _by_carer_age(1.0, 1.0, 2.0),
        description="relative chance of leaving by carer age (normalised to foster_leaving_per_year)",
    )
    other_la_turnover_per_month: float = Field(
        0.034,
        ge=0,
        le=1,
        description="chance a place used by another authority frees in a month (DfE: 33,620 of 83,630 ceased a year)",
    )
    new_residential_places_per_year: float = Field(0.0, ge=0, description="children's-home places opening nearby")
    new_supported_places_per_year: float = Field(0.0, ge=0, description="supported-accommodation places opening")
    campaigns: tuple[Campaign, ...] = ()


class Prices(_Strict):
    """Annual price inflation of weekly costs, by setting."""

    foster: float = Field(0.03, ge=-0.5, le=1.0)
    residential: float = Field(0.06, ge=-0.5, le=1.0)
    supported: float = Field(0.04, ge=-0.5, le=1.0)


class Scenario(_Strict):
    """One scenario file."""

    name: str = Field(min_length=1)
    description: str = ""
    horizon_months: int = Field(24, ge=1, le=120)
    runs: int = Field(100, ge=1, le=100_000)
    seed: int = Field(1, ge=0)
    demand: Demand = Field(default_factory=Demand)
    supply: Supply = Field(default_factory=Supply)
    prices: Prices = Field(default_factory=Prices)
    profiles: dict[str, CarerProfile] = Field(default_factory=dict)
    policy: dict[str, Any] = Field(
        default_factory=lambda: {"time_limit_seconds": 30.0},
        description="overrides of policy.toml for the monthly match (same keys)",
    )

    @model_validator(mode="after")
    def _campaign_profiles(self) -> Scenario:
        for k, c in enumerate(self.supply.campaigns):
            if c.profile not in self.profiles:
                raise ValueError(
                    f"supply.campaigns[{k}].profile {c.profile!r} is not a profile of this file; "
                    f"allowed: {sorted(self.profiles) or 'none defined under [profiles.NAME]'}"
                )
            if c.end_month is not None and c.end_month < c.start_month:
                raise ValueError(
                    f"supply.campaigns[{k}]: end_month {c.end_month} is before start_month {c.start_month}"
                )
        return self

    def match_policy(self, base: Policy) -> Policy:
        """The case folder's policy with this scenario's overrides (already checked on load)."""
        data = base.model_dump()
        for key, value in self.policy.items():
            if isinstance(value, dict) and isinstance(data.get(key), dict):
                data[key] = {**data[key], **value}
            else:
                data[key] = value
        return Policy.model_validate(data)


def _allowed(err: ErrorDetails) -> str:
    ctx = err.get("ctx") or {}
    expected = ctx.get("expected")
    if err["type"] == "extra_forbidden":
        return " (unknown key)"
    return f"; allowed: {expected}" if expected else ""


def _extra_hint(loc: tuple[Any, ...]) -> str:
    """For an unknown key, the keys allowed where it stands."""
    model: type[BaseModel] | None = Scenario
    for part in loc[:-1]:
        if model is None or isinstance(part, int):
            continue
        field = model.model_fields.get(str(part))
        if field is None:
            return ""
        ann = field.annotation
        model = ann if isinstance(ann, type) and issubclass(ann, BaseModel) else None
        if model is None and str(part) == "profiles":
            model = CarerProfile
        elif model is None and str(part) == "campaigns":
            model = Campaign
    if model is None:
        return ""
    close = difflib.get_close_matches(str(loc[-1]), list(model.model_fields), n=1, cutoff=0.6)
    allowed = ", ".join(model.model_fields)
    return f"; did you mean {close[0]!r}? (allowed keys: {allowed})" if close else f"; allowed keys: {allowed}"


def load_scenario(path: Path) -> Scenario:
    """Read and check one scenario file; raises InputError naming the file, key and allowed values."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError([Problem(str(path), None, None, "no such scenario file")]) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError([Problem(str(path), None, None, f"not valid TOML: {exc}")]) from None
    data.setdefault("name", path.stem)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if p != "[key]")
            key = ".".join(str(p) for p in loc) or None
            hint = _extra_hint(loc) if err["type"] == "extra_forbidden" else _allowed(err)
            problems.append(Problem(str(path), None, key, f"{err['msg']}{hint}"))
        raise InputError(problems) from None
    try:
        scenario.match_policy(Policy())
    except ValidationError as exc:
        raise InputError(
            [
                Problem(
                    str(path),
                    None,
                    "policy." + ".".join(str(p) for p in e["loc"]),
                    f"{e['msg']}{_allowed(e)}"
                    + (unknown_key_hint(Policy, e["loc"]) if e["type"] == "extra_forbidden" else ""),
                )
                for e in exc.errors()
            ]
        ) from None
    return scenario


def load_scenarios(paths: list[Path]) -> list[Scenario]:
    """Every file checked; all problems reported together; names must differ (they label the results)."""
    problems: list[Problem] = []
    out: list[Scenario] = []
    for p in paths:
        try:
            out.append(load_scenario(p))
        except InputError as exc:
            problems.extend(exc.problems)
    seen: dict[str, Path] = {}
    for p, s in zip(paths, out, strict=False):
        if s.name in seen and not problems:
            problems.append(Problem(str(p), None, "name", f"scenario name {s.name!r} is also used by {seen[s.name]}"))
        seen.setdefault(s.name, p)
    if problems:
        raise InputError(problems)
    return out
