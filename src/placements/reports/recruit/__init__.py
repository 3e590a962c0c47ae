"""Recruitment targets: which carer households to recruit so that a target is reached, and what it saves.

Public interface: ``plan_recruitment(instance, policy, profiles, targets, budget) -> RecruitPlan``,
``load_profiles(path) -> list[Profile]`` and ``Target``. See ``docs/recruit.md``.

Names are loaded on first use, so that ``placements.cli`` can import the command
(``placements.reports.recruit.command``) without importing the matching engine and OR-Tools.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from placements.lazy import lazy_exports

_EXPORTS = {
    "RecruitPlan": "plan",
    "plan_recruitment": "plan",
    "Candidate": "profiles",
    "Profile": "profiles",
    "candidate_places": "profiles",
    "load_profiles": "profiles",
    "Target": "targets",
}

__all__ = ["Candidate", "Profile", "RecruitPlan", "Target", "candidate_places", "load_profiles", "plan_recruitment"]

if TYPE_CHECKING:
    from placements.reports.recruit.plan import RecruitPlan, plan_recruitment
    from placements.reports.recruit.profiles import Candidate, Profile, candidate_places, load_profiles
    from placements.reports.recruit.targets import Target

__getattr__ = lazy_exports(__name__, _EXPORTS)
