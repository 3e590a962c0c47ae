"""Recruitment targets: which carer households to recruit so that a target is reached, and what it saves.

Public interface: ``plan_recruitment(instance, policy, profiles, targets, budget) -> RecruitPlan``,
``load_profiles(path) -> list[Profile]`` and ``Target``. See ``docs/recruit.md``.
"""

from placements.analysis.recruit.plan import RecruitPlan, plan_recruitment
from placements.analysis.recruit.profiles import Candidate, Profile, candidate_places, load_profiles
from placements.analysis.recruit.targets import Target

__all__ = ["Candidate", "Profile", "RecruitPlan", "Target", "candidate_places", "load_profiles", "plan_recruitment"]
