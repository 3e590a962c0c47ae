"""Recruitable carer profiles: read from a TOML file, turned into candidate households (extra Place rows).

A profile is a kind of household the authority could recruit (or commission): its terms of approval,
how many children it takes, which needs it meets, where it would live, what recruiting it costs once
and what a placement with it costs each week. ``candidate_places`` makes ``max_households`` identical
copies of each profile; the recruitment model decides how many of them to open. The file format is in
``docs/recruit.md``; the shipped defaults are ``scenarios/recruit-profiles.toml``.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from placements.codes import Need, PlaceSex, Provider, Setting
from placements.domain import Place
from placements.errors import InputError, Problem
from placements.geo import is_district, is_ons_la, normalise_postcode
from placements.instance import Instance
from placements.io import postcodes

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
#: Prefix of candidate households' place_id; never used by a case folder's own places.
CANDIDATE_PREFIX = "NEW-"


class Profile(BaseModel):
    """One kind of household the authority could recruit. Costs in GBP."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = ""
    label: str = ""
    setting: Setting = Setting.FOSTER
    provider: Provider = Provider.IN_HOUSE
    age_min: Annotated[int, Field(ge=0, le=17)]
    age_max: Annotated[int, Field(ge=0, le=17)]
    sex: PlaceSex = PlaceSex.ANY
    places: Annotated[int, Field(ge=1, le=6, description="children it takes: its sibling capacity")]
    sibling_exemption: bool = False
    long_term: bool = False
    meets_needs: frozenset[Need] = frozenset()
    area: Annotated[str, Field(min_length=2, description="LA code, postcode district, sector or full postcode")]
    recruitment_cost: Annotated[float, Field(ge=0, description="one-off: marketing, assessment, panel, training")]
    weekly_cost: Annotated[float, Field(ge=0, description="per child placed, per week")]
    max_households: Annotated[int, Field(ge=0, le=100, description="most that could be recruited")] = 5
    source: str = ""

    @field_validator("age_max")
    @classmethod
    def _ages(cls, v: int, info: Any) -> int:
        lo = info.data.get("age_min")
        if lo is not None and lo > v:
            raise ValueError(f"age_max {v} is below age_min {lo}")
        return v

    @field_validator("area")
    @classmethod
    def _area(cls, v: str) -> str:
        text = " ".join(v.strip().upper().split())
        if is_ons_la(text) or is_district(text):  # no space: a district ("NG15"), never a sector
            return text
        if " " in text and normalise_postcode(text) is not None:  # "NG1 5" or "NG1 5AB"
            return str(normalise_postcode(text))
        raise ValueError(
            f"{v!r} is not an area: give an ONS local authority code (E06000018), a postcode district (NG5), "
            "a postcode sector with its space (NG5 5) or a full postcode (NG5 5AB)"
        )


class ProfilesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str = ""
    profile: dict[str, Profile]

    @field_validator("profile")
    @classmethod
    def _names(cls, v: dict[str, Profile]) -> dict[str, Profile]:
        if not v:
            raise ValueError("no [profile.NAME] tables")
        for name in v:
            if not _NAME.match(name):
                raise ValueError(f"profile name {name!r}: use lower-case letters, digits, '-' and '_' (at most 40)")
        return v


def _allowed(loc: tuple[Any, ...]) -> str:
    """The allowed keys where an unknown key was found."""
    if len(loc) >= 3 and loc[0] == "profile":
        keys = [k for k in Profile.model_fields if k != "name"]
    else:
        keys = list(ProfilesFile.model_fields)
    return "; allowed keys: " + ", ".join(keys)


def load_profiles(path: Path) -> list[Profile]:
    """Read a profiles TOML file; every problem names the file and the key (``profile.NAME.key``)."""
    path = Path(path)
    if not path.is_file():
        raise InputError([Problem(str(path), None, None, "profiles file not found")])
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError([Problem(str(path), None, None, f"not valid TOML: {exc}")]) from None
    try:
        parsed = ProfilesFile.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown key" + _allowed(loc)
            elif err["type"] == "missing":
                msg = "required key is missing"
            problems.append(Problem(str(path), None, ".".join(str(p) for p in loc), msg))
        raise InputError(problems) from None
    return [p.model_copy(update={"name": name, "label": p.label or name}) for name, p in parsed.profile.items()]


@dataclass(frozen=True)
class Candidate:
    """One candidate household: copy ``copy`` (1-based) of ``profile``."""

    place: Place
    profile: Profile
    copy: int

    @property
    def first_year_cost(self) -> float:
        return self.cost(52)

    def cost(self, horizon_weeks: int) -> float:
        """What opening this household costs over the horizon: recruitment, then every place paid for."""
        return self.profile.recruitment_cost + horizon_weeks * self.profile.weekly_cost * self.profile.places


def _locate(profiles: list[Profile], instance: Instance, path: str) -> dict[str, postcodes.Location]:
    """Area -> location: a postcode or sector through the directory; a district or an authority as the
    mean position of its live postcodes (searched under the first letters of the case folder's postcodes)."""
    out: dict[str, postcodes.Location] = {}
    problems = []
    exact = [p.area for p in profiles if not is_ons_la(p.area) and not is_district(p.area)]
    found = postcodes.lookup(exact)
    letters = {
        pc[0] for pc in [*(p.postcode for p in instance.places), *(c.home_postcode for c in instance.children)] if pc
    }
    for p in profiles:
        if p.area in found:
            out[p.area] = found[p.area]
            continue
        frame = None
        if is_ons_la(p.area) and letters:
            frame = postcodes.postcodes_in([p.area], letters)
        elif is_district(p.area):
            every = postcodes._letter_frame(p.area[0])
            frame = every[every.index.str.split(" ").str[0] == p.area]
        if frame is not None and len(frame):
            la = frame["la_code"].value_counts().index[0]
            out[p.area] = postcodes.Location(float(frame["easting"].mean()), float(frame["northing"].mean()), str(la))
        else:
            problems.append(
                Problem(
                    path,
                    None,
                    f"profile.{p.name}.area",
                    f"area {p.area!r} is not in the ONS Postcode Directory"
                    + (" (or the case folder has no postcodes to search it under)" if is_ons_la(p.area) else ""),
                )
            )
    if problems:
        raise InputError(problems)
    return out


def candidate_places(
    profiles: list[Profile],
    instance: Instance,
    path: str = "profiles",
    locations: dict[str, postcodes.Location] | None = None,
) -> list[Candidate]:
    """``max_households`` candidate households per profile, as Place rows with ids ``NEW-<profile>-<k>``."""
    locations = locations if locations is not None else _locate(profiles, instance, path)
    out = []
    taken = set(instance.place_index)
    for prof in profiles:
        loc = locations[prof.area]
        for k in range(1, prof.max_households + 1):
            pid = f"{CANDIDATE_PREFIX}{prof.name}-{k:02d}"
            if pid in taken:
                raise InputError(
                    [Problem(path, None, f"profile.{prof.name}", f"place_id {pid} already exists in places.csv")]
                )
            place = Place(
                place_id=pid,
                setting=prof.setting,
                provider=prof.provider,
                postcode=None,
                easting=loc.easting,
                northing=loc.northing,
                la_code=loc.la_code,
                vacancies=prof.places,
                children_in_placement=0,
                age_min=prof.age_min,
                age_max=prof.age_max,
                sex=prof.sex,
                meets_needs=prof.meets_needs,
                weekly_cost=prof.weekly_cost,
                long_term=prof.long_term,
                sibling_exemption=prof.sibling_exemption,
            )
            out.append(Candidate(place, prof, k))
    return out
