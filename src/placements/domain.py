"""Frozen models of the two things a match is about: children and places.

Field validators accept the case folder's spellings (``;``-separated lists, ``yes``/``no``,
DD/MM/YYYY dates) so a CSV row can be validated as it stands, and every error names the field,
which is the column.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationInfo,
    field_serializer,
    field_validator,
    model_serializer,
)

from placements.calendar import age_on
from placements.codes import (
    DEFAULT_SETTINGS_16_17,
    DEFAULT_SETTINGS_UNDER_16,
    OFSTED_RATING_TEXT,
    DecisionCode,
    Need,
    OfstedRating,
    PlaceSex,
    Provider,
    Route,
    Setting,
    Sex,
    Status,
    Urgency,
)
from placements.geo import parse_avoid_areas

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_UK = re.compile(r"^\d{2}/\d{2}/\d{4}$")


def parse_date(value: Any) -> Any:
    """YYYY-MM-DD or DD/MM/YYYY (as in SSDA903); two-digit years and impossible dates are errors."""
    if value is None or isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if text == "":
        return None
    try:
        if _ISO.match(text):
            return dt.date.fromisoformat(text)
        if _UK.match(text):
            day, month, year = text.split("/")
            return dt.date(int(year), int(month), int(day))
    except ValueError as exc:
        raise ValueError(f"impossible date {text!r}: {exc}") from None
    raise ValueError(f"date {text!r} is not YYYY-MM-DD or DD/MM/YYYY")


def _split(value: Any) -> Any:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(";") if part.strip())
    return value


def _yes_no(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("yes", "y", "true", "1"):
            return True
        if text in ("no", "n", "false", "0"):
            return False
        if text == "":
            return None
        raise ValueError(f"{value!r} is not yes or no")
    return value


def _rating(value: Any) -> Any:
    """``Good``, ``Requires improvement to be good`` (as Ofsted writes them) or the codes; blank is None."""
    if isinstance(value, str):
        text = value.strip()
        if text == "":
            return None
        return OFSTED_RATING_TEXT.get(text.casefold(), text)
    return value


def _blank_none(value: Any) -> Any:
    if isinstance(value, str) and value.strip() == "":
        return None
    return value.strip() if isinstance(value, str) else value


def _dates(value: Any) -> Any:
    """A ``;``-separated list of dates in any order, returned sorted (each parsed by ``parse_date``)."""
    items = _split(value)
    if isinstance(items, tuple | list):
        items = tuple(parse_date(v) for v in items)
        return tuple(sorted(d for d in items if d is not None))
    return items


def _avoid_areas(value: Any) -> Any:
    """The case folder's ``;``-separated areas to avoid, or a list (JSON): each checked and normalised once."""
    if value is None:
        return ()
    if isinstance(value, str):
        return parse_avoid_areas(value)
    if isinstance(value, list | tuple):
        return parse_avoid_areas(";".join(str(v) for v in value))
    return value


Date = Annotated[dt.date | None, BeforeValidator(parse_date)]
OptStr = Annotated[str | None, BeforeValidator(_blank_none)]
OptFloat = Annotated[float | None, BeforeValidator(_blank_none)]


def _unique(values: tuple[Any, ...], what: str) -> tuple[Any, ...]:
    if len(set(values)) != len(values):
        raise ValueError(f"{what} listed twice")
    return values


#: Child fields added with the referral form's school and areas to avoid (issue 15): omitted from JSON at their
#: defaults, so the JSON (and the bench's fingerprint) of a child that does not use them is what it always was.
LATER_CHILD_FIELDS = ("school_postcode", "school_easting", "school_northing", "avoid_areas")


class Child(BaseModel):
    """A looked-after child, as the placement team sees them today. No names."""

    model_config = ConfigDict(frozen=True, extra="ignore", use_enum_values=False)

    child_id: str = Field(min_length=1)
    date_of_birth: Annotated[dt.date, BeforeValidator(parse_date)]
    sex: Sex
    status: Status
    current_place_id: OptStr = None
    urgency: Annotated[Urgency, BeforeValidator(lambda v: _blank_none(v) or "planned")] = Urgency.PLANNED
    sibling_group: OptStr = None
    needs: Annotated[frozenset[Need], BeforeValidator(_split)] = frozenset()
    settings: Annotated[tuple[Setting, ...], BeforeValidator(_split)] = ()
    lives_with_others: Annotated[bool, BeforeValidator(lambda v: True if _yes_no(v) is None else _yes_no(v))] = True
    home_postcode: OptStr = None
    home_easting: OptFloat = None
    home_northing: OptFloat = None
    home_la: OptStr = None
    #: The school the child attends (issue 15): its location scores each home by its distance from the school
    #: (``weights.per_school_mile``). Read from the case folder's optional ``school_postcode`` column.
    school_postcode: OptStr = None
    school_easting: OptFloat = None
    school_northing: OptFloat = None
    #: Areas the child must not be placed in (issue 15; the ``avoid_areas`` column, ``;``-separated): postcode
    #: districts (``NG7``), sectors (``NG7 2``) or ONS authority codes (``E06000018``). See ``Rule.AVOID_AREA``.
    avoid_areas: Annotated[tuple[str, ...], BeforeValidator(_avoid_areas)] = ()
    #: The responsible authority (ONS code) when a case folder holds several authorities' children;
    #: blank means the policy's ``la_code``. "Out of area" is judged against it.
    local_authority: OptStr = None
    max_distance_miles: Annotated[Annotated[float, Field(gt=0)] | None, BeforeValidator(_blank_none)] = None
    permanence_plan: Annotated[tuple[Route, ...], BeforeValidator(_split)] = ()
    plan_date: Date = None
    last_review_date: Date = None
    entered_care_date: Date = None
    assessment_date: Date = None
    # Optional columns read by the permanence-plan conflict report (placements.reports.conflicts).
    review_dates: Annotated[tuple[dt.date, ...], BeforeValidator(_dates)] = ()
    siblings_apart_reason: OptStr = None
    residential_rationale: OptStr = None

    @field_serializer("needs")
    def _needs_sorted(self, v: frozenset[Need]) -> list[str]:
        """Sets serialise sorted: iteration order follows string hashing, which differs per process."""
        return sorted(n.value for n in v)

    @model_serializer(mode="wrap")
    def _optional_when_set(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Fields added after the first release are written only when set (see ``LATER_CHILD_FIELDS``)."""
        data: dict[str, Any] = handler(self)
        for name in LATER_CHILD_FIELDS:
            if name in data and getattr(self, name) == Child.model_fields[name].default:
                del data[name]
        return data

    @field_validator("school_northing")
    @classmethod
    def _both_school_coordinates(cls, v: float | None, info: ValidationInfo) -> float | None:
        if (info.data.get("school_easting") is None) != (v is None):
            raise ValueError("school_easting and school_northing must be given together")
        return v

    # Cross-field checks are field validators so that the error names a column.
    @field_validator("settings")
    @classmethod
    def _settings_unique(cls, v: tuple[Setting, ...]) -> tuple[Setting, ...]:
        return _unique(v, "a setting")

    @field_validator("permanence_plan")
    @classmethod
    def _routes_unique(cls, v: tuple[Route, ...]) -> tuple[Route, ...]:
        return _unique(v, "a permanence route")

    @field_validator("review_dates")
    @classmethod
    def _review_dates_unique(cls, v: tuple[dt.date, ...]) -> tuple[dt.date, ...]:
        return _unique(v, "a review date")

    @field_validator("home_northing")
    @classmethod
    def _both_coordinates(cls, v: float | None, info: ValidationInfo) -> float | None:
        if (info.data.get("home_easting") is None) != (v is None):
            raise ValueError("home_easting and home_northing must be given together")
        return v

    @field_validator("max_distance_miles")
    @classmethod
    def _distance_needs_home(cls, v: float | None, info: ValidationInfo) -> float | None:
        if v is not None and info.data.get("home_easting") is None:
            raise ValueError("a maximum distance needs a home location (home_postcode or home_easting/home_northing)")
        return v

    def age_on(self, day: dt.date) -> int:
        """Age in whole years on ``day``."""
        return age_on(self.date_of_birth, day)

    def suitable_settings(self, day: dt.date) -> tuple[Setting, ...]:
        """The social worker's list, or the default for the child's age, most preferred first."""
        if self.settings:
            return self.settings
        return DEFAULT_SETTINGS_16_17 if self.age_on(day) >= 16 else DEFAULT_SETTINGS_UNDER_16

    @property
    def has_home_location(self) -> bool:
        return self.home_easting is not None

    @property
    def has_school_location(self) -> bool:
        return self.school_easting is not None


#: Place fields added with Ofsted's register and judgements (issue 16): omitted from JSON at their defaults.
LATER_PLACE_FIELDS = ("ofsted_rating", "ofsted_urn", "ofsted_date", "ofsted_approved_for", "location_approximate")


class Place(BaseModel):
    """A fostering household, children's home or supported-accommodation setting."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    place_id: str = Field(min_length=1)
    setting: Setting
    provider: Provider
    postcode: OptStr = None
    easting: float
    northing: float
    la_code: OptStr = None
    vacancies: int = Field(ge=0)
    children_in_placement: Annotated[int, BeforeValidator(lambda v: _blank_none(v) or 0), Field(ge=0)] = 0
    age_min: int = Field(ge=0, le=25)
    age_max: int = Field(ge=0, le=25)
    sex: Annotated[PlaceSex, BeforeValidator(lambda v: _blank_none(v) or "any")] = PlaceSex.ANY
    meets_needs: Annotated[frozenset[Need], BeforeValidator(_split)] = frozenset()
    weekly_cost: float = Field(ge=0)
    long_term: Annotated[bool, BeforeValidator(lambda v: bool(_yes_no(v)))] = False
    sibling_exemption: Annotated[bool, BeforeValidator(lambda v: bool(_yes_no(v)))] = False
    kinship_for: Annotated[frozenset[str], BeforeValidator(_split)] = frozenset()
    #: Ofsted's latest overall judgement and its date (children's homes); blank when not inspected or not known.
    #: ``policy.toml``'s ``[ofsted]`` table says which judgements the authority accepts (see ``Policy``).
    ofsted_rating: Annotated[OfstedRating | None, BeforeValidator(_rating)] = None
    #: Ofsted's unique reference number of the home (the placements data standard's providerURN).
    ofsted_urn: OptStr = None
    ofsted_date: Date = None
    #: Children a manager approved for this home despite a judgement that needs approval (``;``-separated ids).
    ofsted_approved_for: Annotated[frozenset[str], BeforeValidator(_split)] = frozenset()
    #: The location is an estimate (Ofsted redacts children's homes' addresses); distances from it are approximate.
    location_approximate: Annotated[bool, BeforeValidator(lambda v: bool(_yes_no(v)))] = False

    @field_serializer("meets_needs")
    def _meets_sorted(self, v: frozenset[Need]) -> list[str]:
        """Sets serialise sorted: iteration order follows string hashing, which differs per process."""
        return sorted(n.value for n in v)

    @field_serializer("kinship_for", "ofsted_approved_for")
    def _kinship_sorted(self, v: frozenset[str]) -> list[str]:
        return sorted(v)

    @model_serializer(mode="wrap")
    def _optional_when_set(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Fields added after the first release are written only when set, so the JSON (and the bench's
        fingerprint) of a place that does not use them is what it always was."""
        data: dict[str, Any] = handler(self)
        for name in LATER_PLACE_FIELDS:
            if name in data and getattr(self, name) == Place.model_fields[name].default:
                del data[name]
        return data

    @field_validator("age_max")
    @classmethod
    def _age_range(cls, v: int, info: ValidationInfo) -> int:
        lo = info.data.get("age_min")
        if lo is not None and lo > v:
            raise ValueError(f"age_max {v} is below age_min {lo}")
        return v


class Decision(BaseModel):
    """A placement team's decision about one (child, home) pair (a row of decisions.csv).

    ``held``: the team accepted this home for the child; the match keeps the child there and the
    home's room falls by one. ``rejected``: the pair is never proposed again.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    child_id: str = Field(min_length=1)
    place_id: str = Field(min_length=1)
    decision: DecisionCode
