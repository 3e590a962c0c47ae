"""Vocabularies: the one place where codes live.

Every code a case folder may contain is an enum here; logic elsewhere refers to the
enum members or to the named sets below, never to string literals.
"""

from __future__ import annotations

from enum import StrEnum


class Setting(StrEnum):
    """Kind of home. Order of declaration is the legal preference order (s22C(6)-(7))."""

    FOSTER = "foster"
    RESIDENTIAL = "residential"
    SUPPORTED = "supported"


class Provider(StrEnum):
    IN_HOUSE = "in_house"
    IFA = "ifa"
    PRIVATE = "private"
    VOLUNTARY = "voluntary"
    OTHER_LA = "other_la"


class Sex(StrEnum):
    MALE = "M"
    FEMALE = "F"
    UNKNOWN = "U"


class PlaceSex(StrEnum):
    ANY = "any"
    MALE = "M"
    FEMALE = "F"


class Status(StrEnum):
    NEEDS_PLACEMENT = "needs_placement"
    PLACED = "placed"


class Urgency(StrEnum):
    EMERGENCY = "emergency"
    PLANNED = "planned"


class Need(StrEnum):
    DISABILITY = "disability"
    COMPLEX_HEALTH = "complex_health"
    EMOTIONAL_BEHAVIOURAL = "emotional_behavioural"
    SELF_HARM = "self_harm"
    EXPLOITATION = "exploitation"
    MISSING = "missing"
    HARM_TO_OTHERS = "harm_to_others"
    SUBSTANCE_MISUSE = "substance_misuse"
    PARENT_AND_CHILD = "parent_and_child"
    UASC = "uasc"
    COMMUNICATION = "communication"
    YOUTH_JUSTICE = "youth_justice"


class Route(StrEnum):
    """Permanence routes. More than one at once is a dual plan."""

    RETURN_HOME = "return_home"
    KINSHIP = "kinship"
    SGO = "sgo"
    CAO = "cao"
    ADOPTION = "adoption"
    LONG_TERM_FOSTER = "long_term_foster"
    RESIDENTIAL = "residential"
    INDEPENDENCE = "independence"
    STAYING_PUT = "staying_put"


class Rule(StrEnum):
    """Hard rules. Each is a reason code used in explanations and by the validator."""

    SETTING = "setting"
    AGE = "age"
    SEX = "sex"
    NEEDS = "needs"
    KINSHIP = "kinship"
    SUPPORTED_AGE = "supported_age"
    MAX_DISTANCE = "max_distance"
    CAPACITY = "capacity"
    FOSTERING_LIMIT = "fostering_limit"
    LIVES_ALONE = "lives_alone"
    DECISION = "decision"
    """The placement team's decision (decisions.csv): a rejected pair, or a child held for another home."""
    OFSTED = "ofsted"
    AVOID_AREA = "avoid_area"
    """The home lies in an area the child must not be placed in (the child's ``avoid_areas``): a postcode district
    or sector the home's postcode is in, or the authority (ONS code) it stands in. The child's home today is not
    exempt."""
    STABILITY = "stability"
    """A settled child is not moved to a home worse for them (``Policy.stability``)."""


class DecisionCode(StrEnum):
    """A placement team's decision about one (child, home) pair, read from decisions.csv."""

    HELD = "held"
    """Accepted: the child is held for this home; the match does not move them and the home's room falls by one."""
    REJECTED = "rejected"
    """Rejected: the pair is never proposed again (until the rejection is withdrawn and the row removed)."""


class OfstedRating(StrEnum):
    """Ofsted's overall judgement of a children's home ("overall experiences and progress of children
    and young people"), best first."""

    OUTSTANDING = "outstanding"
    GOOD = "good"
    REQUIRES_IMPROVEMENT = "requires_improvement"
    INADEQUATE = "inadequate"


#: How Ofsted writes each judgement in its published tables (compared case-insensitively).
OFSTED_RATING_TEXT: dict[str, OfstedRating] = {
    "outstanding": OfstedRating.OUTSTANDING,
    "good": OfstedRating.GOOD,
    "requires improvement to be good": OfstedRating.REQUIRES_IMPROVEMENT,
    "requires improvement": OfstedRating.REQUIRES_IMPROVEMENT,
    "inadequate": OfstedRating.INADEQUATE,
}


class UnplacedReason(StrEnum):
    """Why a child needing a placement has none in the proposal."""

    NO_ELIGIBLE_PLACE = "no_eligible_place"
    """No home passes every hard rule; the sentence names the binding rule."""
    TAKEN_BY_OTHERS = "taken_by_others"
    """Homes exist, but every one was needed to place more children (or more urgent ones)."""


_ANY_SETTING = frozenset(Setting)

#: route -> settings a child on that route may currently live in.
ROUTE_SETTINGS: dict[Route, frozenset[Setting]] = {
    # Leaving care to family: reachable from any home.
    Route.RETURN_HOME: _ANY_SETTING,
    Route.KINSHIP: _ANY_SETTING,
    Route.SGO: _ANY_SETTING,
    Route.CAO: _ANY_SETTING,
    # Adoption is prepared from a family setting (foster care, Fostering for Adoption).
    Route.ADOPTION: frozenset({Setting.FOSTER}),
    # Long-term fostering means living with a foster carer.
    Route.LONG_TERM_FOSTER: frozenset({Setting.FOSTER}),
    # A residential plan while in foster care is a plan to move a child out of a family.
    Route.RESIDENTIAL: frozenset({Setting.RESIDENTIAL}),
    # Preparation for independence can happen in any home from 16.
    Route.INDEPENDENCE: _ANY_SETTING,
    # Staying Put (with former foster carers) / Staying Close (near a former children's home).
    Route.STAYING_PUT: frozenset({Setting.FOSTER, Setting.RESIDENTIAL}),
}

#: route -> youngest age (whole years on the as-of date) at which the route is a plan.
ROUTE_MIN_AGE: dict[Route, int] = {
    Route.INDEPENDENCE: 16,
    Route.STAYING_PUT: 16,
}


#: Settings a child may live in when the social worker has not said otherwise.
DEFAULT_SETTINGS_UNDER_16: tuple[Setting, ...] = (Setting.FOSTER, Setting.RESIDENTIAL)
DEFAULT_SETTINGS_16_17: tuple[Setting, ...] = (Setting.FOSTER, Setting.SUPPORTED, Setting.RESIDENTIAL)

#: Supported accommodation is lawful only at these ages (since 28 Oct 2023).
SUPPORTED_MIN_AGE = 16
SUPPORTED_MAX_AGE = 17

#: Usual fostering limit (Children Act 1989 Sch 7).
USUAL_FOSTERING_LIMIT = 3

#: Family-based settings, for the "under-12s in family care" term.
FAMILY_SETTINGS: frozenset[Setting] = frozenset({Setting.FOSTER})

#: Age bands used in reports (DfE "Children looked after in England" bands).
AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("under 1", 0, 0),
    ("1-4", 1, 4),
    ("5-9", 5, 9),
    ("10-15", 10, 15),
    ("16+", 16, 200),
)


def age_band(age: int) -> str:
    for label, lo, hi in AGE_BANDS:
        if lo <= age <= hi:
            return label
    raise ValueError(f"negative age {age}")
