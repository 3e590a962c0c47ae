"""The placement team's records: the register of homes, referrals, match runs, proposals, decisions, approvals, audit.

Field names follow the case folder (``docs/case-folder.md``) so a row exports to ``places.csv`` or
``children.csv`` as it stands. No names of children or carers are held anywhere: a child is the
authority's own identifier. Models hold data and invariants; every write goes through
``services`` so that it is audited.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from django.conf import settings
from django.db import models
from django.db.models import Q

from placements.codes import DecisionCode, Need, PlaceSex, Provider, Route, Setting, Sex, Status, Urgency


class Coded(StrEnum):
    """A code stored in a CharField, with the words shown for it.

    A plain str enum rather than Django's ``TextChoices``, so type checkers read it without Django's
    plugin; ``choices()`` gives Django's ``(code, words)`` pairs and ``label`` the words.
    """

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(m.value, m.label) for m in cls]

    @classmethod
    def values(cls) -> list[str]:
        return [m.value for m in cls]

    @property
    def label(self) -> str:
        return _LABELS[(type(self).__name__, self.value)]


#: The words shown for each code (Django's choices are ``(code, words)``).
_LABELS: dict[tuple[str, str], str] = {
    ("Role", "officer"): "Placement officer",
    ("Role", "manager"): "Manager",
    ("Role", "commissioner"): "Commissioner",
    ("Role", "read_only"): "Read-only",
    ("RunStatus", "queued"): "Waiting to start",
    ("RunStatus", "running"): "Running",
    ("RunStatus", "succeeded"): "Finished",
    ("RunStatus", "failed"): "Failed",
    ("ApprovalReason", "out_of_area"): "Outside the authority's area",
    ("ApprovalReason", "over_20_miles"): "More than 20 miles from home",
    ("ApprovalReason", "under_12_residential"): "A child under 12 in a children's home",
    ("DecisionKind", "accept"): "Accepted the proposed home",
    ("DecisionKind", "reject"): "Rejected the proposed home",
    ("DecisionKind", "choose_other"): "Chose another home from the shortlist",
    ("RejectReason", "carer_declined"): "The carer or home declined",
    ("RejectReason", "needs_not_met"): "The home cannot meet the child's needs in practice",
    ("RejectReason", "matching_concern"): "Concern about the children already living there",
    ("RejectReason", "education"): "Would disrupt the child's education",
    ("RejectReason", "family_contact"): "Would harm contact with family",
    ("RejectReason", "child_views"): "The child's wishes and feelings",
    ("RejectReason", "safeguarding"): "Safeguarding concern about the location",
    ("RejectReason", "vacancy_gone"): "The vacancy is no longer available",
    ("RejectReason", "other"): "Another reason (recorded in the case file)",
    ("ChooseReason", "closer_to_school"): "Keeps the child at their school",
    ("ChooseReason", "closer_to_family"): "Nearer family",
    ("ChooseReason", "siblings_together"): "Keeps siblings together",
    ("ChooseReason", "carer_match"): "A better match with the carer's skills",
    ("ChooseReason", "child_views"): "The child's wishes and feelings",
    ("ChooseReason", "other"): "Another reason (recorded in the case file)",
    ("DecisionStatus", "awaiting_approval"): "Awaiting a manager's approval",
    ("DecisionStatus", "held"): "Held: home agreed, awaiting the move",
    ("DecisionStatus", "placed"): "Placed: the child has moved in",
    ("DecisionStatus", "rejected"): "Rejected: not proposed again",
    ("DecisionStatus", "refused"): "Refused by a manager",
    ("DecisionStatus", "withdrawn"): "Withdrawn",
}


def _choices(enum: type) -> list[tuple[str, str]]:
    return [(m.value, m.value.replace("_", " ")) for m in enum]  # type: ignore[attr-defined]


class Role(Coded):
    OFFICER = "officer"
    MANAGER = "manager"
    COMMISSIONER = "commissioner"
    READ_ONLY = "read_only"


class Authority(models.Model):
    """The local authority whose team uses the application (one per database in practice)."""

    la_code = models.CharField(max_length=9, unique=True, help_text="ONS code, e.g. E06000018")
    name = models.CharField(max_length=100)
    stale_after_days = models.PositiveIntegerField(
        default=7, help_text="a vacancy not confirmed for this many days is flagged, and a match warns about it"
    )
    policy_toml = models.TextField(blank=True, default="", help_text="the authority's policy.toml (weights, limits)")

    class Meta:
        verbose_name_plural = "authorities"

    def __str__(self) -> str:
        return f"{self.name} ({self.la_code})"


class Profile(models.Model):
    """Per user: whether the one-time password must still be changed. The role is the user's group."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    must_change_password = models.BooleanField(default=False)


class Home(models.Model):
    """A fostering household, children's home or supported accommodation: one row of places.csv."""

    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="homes")
    place_id = models.CharField(max_length=40)
    setting = models.CharField(max_length=20, choices=_choices(Setting))
    provider = models.CharField(max_length=20, choices=_choices(Provider))
    postcode = models.CharField(max_length=10, blank=True, default="")
    easting = models.FloatField(null=True, blank=True)
    northing = models.FloatField(null=True, blank=True)
    local_authority = models.CharField(max_length=9, blank=True, default="")
    vacancies = models.PositiveIntegerField(default=0)
    children_in_placement = models.PositiveIntegerField(default=0)
    age_min = models.PositiveIntegerField(default=0)
    age_max = models.PositiveIntegerField(default=17)
    sex = models.CharField(max_length=3, choices=_choices(PlaceSex), default=PlaceSex.ANY.value)
    meets_needs = models.TextField(blank=True, default="", help_text="need codes, ;-separated")
    weekly_cost = models.DecimalField(max_digits=9, decimal_places=2)
    long_term = models.BooleanField(default=False)
    sibling_exemption = models.BooleanField(default=False)
    kinship_for = models.TextField(blank=True, default="", help_text="child ids, ;-separated")
    vacancies_confirmed_on = models.DateField(help_text="the day the vacancies were last confirmed with the home")
    ofsted_rating = models.CharField(max_length=30, blank=True, default="", help_text="Ofsted's overall judgement")
    ofsted_urn = models.CharField(max_length=20, blank=True, default="")
    ofsted_date = models.DateField(null=True, blank=True)
    ofsted_approved_for = models.TextField(
        blank=True, default="", help_text="child ids a manager approved despite the judgement, ;-separated"
    )
    location_approximate = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1, help_text="bumped on every change: stale forms are refused")

    class Meta:
        ordering = ["place_id"]
        constraints = [models.UniqueConstraint(fields=["authority", "place_id"], name="home_place_id_unique")]

    def __str__(self) -> str:
        return self.place_id

    def is_stale(self, today: dt.date | None = None) -> bool:
        today = today or dt.date.today()
        return (today - self.vacancies_confirmed_on).days > self.authority.stale_after_days


class Referral(models.Model):
    """A child the team works with: one row of children.csv. No names, only the authority's child id."""

    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="referrals")
    child_id = models.CharField(max_length=40)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=1, choices=_choices(Sex))
    status = models.CharField(max_length=20, choices=_choices(Status), default=Status.NEEDS_PLACEMENT.value)
    current_place = models.ForeignKey(Home, null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    urgency = models.CharField(max_length=10, choices=_choices(Urgency), default=Urgency.PLANNED.value)
    sibling_group = models.CharField(max_length=40, blank=True, default="")
    needs = models.TextField(blank=True, default="", help_text="need codes, ;-separated")
    settings = models.CharField(
        max_length=60, blank=True, default="", help_text="suitable settings, most preferred first, ;-separated"
    )
    lives_with_others = models.BooleanField(default=True)
    home_postcode = models.CharField(max_length=10, blank=True, default="")
    school_postcode = models.CharField(max_length=10, blank=True, default="")
    avoid_areas = models.TextField(
        blank=True,
        default="",
        help_text="areas the child must not be placed in, ;-separated: postcode districts, sectors or ONS codes",
    )
    local_authority = models.CharField(max_length=9, blank=True, default="")
    max_distance_miles = models.FloatField(null=True, blank=True)
    permanence_plan = models.TextField(blank=True, default="", help_text="routes, ;-separated")
    plan_date = models.DateField(null=True, blank=True)
    last_review_date = models.DateField(null=True, blank=True)
    entered_care_date = models.DateField(null=True, blank=True)
    assessment_date = models.DateField(null=True, blank=True)
    review_dates = models.TextField(blank=True, default="", help_text="dates, ;-separated")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["child_id"]
        constraints = [models.UniqueConstraint(fields=["authority", "child_id"], name="referral_child_id_unique")]

    def __str__(self) -> str:
        return self.child_id

    def age_on(self, day: dt.date) -> int:
        dob = self.date_of_birth
        return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


class RunStatus(Coded):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class MatchRun(models.Model):
    """One match of the day's referrals against the register, run in the background worker."""

    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="runs")
    status = models.CharField(max_length=10, choices=RunStatus.choices(), default=RunStatus.QUEUED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    progress = models.PositiveSmallIntegerField(default=0, help_text="percent")
    stage = models.CharField(max_length=100, blank=True, default="")
    as_of = models.DateField()
    inputs_fingerprint = models.CharField(max_length=64, blank=True, default="", help_text="sha256 of the case folder")
    inputs = models.JSONField(default=dict, blank=True, help_text="the case folder's files: file name -> text")
    policy = models.JSONField(default=dict, blank=True)
    engine_version = models.CharField(max_length=40, blank=True, default="")
    solver_status = models.CharField(max_length=20, blank=True, default="")
    objective = models.BigIntegerField(null=True, blank=True)
    bound = models.FloatField(null=True, blank=True)
    gap = models.FloatField(null=True, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-id"]
        constraints = [
            # One match at a time per authority: a second request while one is queued or running is refused
            # by the database itself, whichever web process or API client asks.
            models.UniqueConstraint(
                fields=["authority"],
                condition=Q(status__in=["queued", "running"]),
                name="one_active_run_per_authority",
            )
        ]

    def __str__(self) -> str:
        return f"run {self.pk} ({self.status})"

    @property
    def active(self) -> bool:
        return self.status in (RunStatus.QUEUED, RunStatus.RUNNING)


class ApprovalReason(Coded):
    OUT_OF_AREA = "out_of_area"
    OVER_20_MILES = "over_20_miles"
    UNDER_12_RESIDENTIAL = "under_12_residential"


class Proposal(models.Model):
    """A run's proposal for one child: the home (or none, with the reason) and the shortlist."""

    run = models.ForeignKey(MatchRun, on_delete=models.CASCADE, related_name="proposals")
    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="proposals")
    home = models.ForeignKey(Home, null=True, blank=True, on_delete=models.PROTECT, related_name="proposals")
    distance_miles = models.FloatField(null=True, blank=True)
    in_area = models.BooleanField(default=False)
    weekly_cost = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    sibling_group = models.CharField(max_length=40, blank=True, default="")
    split = models.BooleanField(default=False)
    score_parts = models.JSONField(default=dict, blank=True)
    score = models.IntegerField(null=True, blank=True)
    reason_code = models.CharField(max_length=30, blank=True, default="")
    binding_rule = models.CharField(max_length=30, blank=True, default="")
    explanation = models.TextField(blank=True, default="")
    approvals_needed = models.JSONField(default=list, blank=True)
    conflicts = models.JSONField(default=list, blank=True, help_text="permanence-plan conflicts: rule, evidence")

    class Meta:
        ordering = ["run", "referral__child_id"]
        constraints = [models.UniqueConstraint(fields=["run", "referral"], name="one_proposal_per_child_per_run")]


class ShortlistEntry(models.Model):
    """One of the best homes for the child alone (competition aside), with the score's parts."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="shortlist")
    rank = models.PositiveSmallIntegerField()
    home = models.ForeignKey(Home, on_delete=models.PROTECT, related_name="+")
    distance_miles = models.FloatField(null=True, blank=True)
    in_area = models.BooleanField(default=False)
    weekly_cost = models.DecimalField(max_digits=9, decimal_places=2)
    score_parts = models.JSONField(default=dict, blank=True)
    score = models.IntegerField()
    approvals_needed = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["proposal", "rank"]


class DecisionKind(Coded):
    ACCEPT = "accept"
    REJECT = "reject"
    CHOOSE_OTHER = "choose_other"


class RejectReason(Coded):
    CARER_DECLINED = "carer_declined"
    NEEDS_NOT_MET = "needs_not_met"
    MATCHING_CONCERN = "matching_concern"
    EDUCATION = "education"
    FAMILY_CONTACT = "family_contact"
    CHILD_VIEWS = "child_views"
    SAFEGUARDING = "safeguarding"
    VACANCY_GONE = "vacancy_gone"
    OTHER = "other"


class ChooseReason(Coded):
    CLOSER_TO_SCHOOL = "closer_to_school"
    CLOSER_TO_FAMILY = "closer_to_family"
    SIBLINGS_TOGETHER = "siblings_together"
    CARER_MATCH = "carer_match"
    CHILD_VIEWS = "child_views"
    OTHER = "other"


class DecisionStatus(Coded):
    AWAITING_APPROVAL = "awaiting_approval"
    HELD = "held"
    PLACED = "placed"
    REJECTED = "rejected"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


#: Decision statuses that hold the home for the child (decisions.csv ``held``).
HOLDING = (DecisionStatus.AWAITING_APPROVAL, DecisionStatus.HELD)


class Decision(models.Model):
    """What an officer decided about one proposal. Exactly one decision per proposal (a database constraint)."""

    proposal = models.OneToOneField(Proposal, on_delete=models.PROTECT, related_name="decision")
    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="decisions")
    home = models.ForeignKey(Home, on_delete=models.PROTECT, related_name="decisions")
    kind = models.CharField(max_length=20, choices=DecisionKind.choices())
    reason_code = models.CharField(max_length=30, blank=True, default="")
    status = models.CharField(max_length=20, choices=DecisionStatus.choices())
    approvals_needed = models.JSONField(default=list, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_role = models.CharField(max_length=20, choices=Role.choices())
    decided_at = models.DateTimeField(auto_now_add=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-decided_at", "-id"]
        constraints = [
            # A child is held for one home at a time (decisions.csv allows one held row per child).
            models.UniqueConstraint(
                fields=["referral"],
                condition=Q(status__in=["awaiting_approval", "held"]),
                name="one_hold_per_child",
            )
        ]

    @property
    def engine_code(self) -> DecisionCode | None:
        """The row this decision writes to decisions.csv, if any."""
        if self.status in HOLDING:
            return DecisionCode.HELD
        if self.status == DecisionStatus.REJECTED:
            return DecisionCode.REJECTED
        return None


class Approval(models.Model):
    """A manager's approval the law asks for before a decision becomes a placement, with the rationale."""

    decision = models.OneToOneField(Decision, on_delete=models.PROTECT, related_name="approval")
    approved = models.BooleanField()
    rationale = models.TextField(help_text="the management rationale; kept here, never in logs or the audit")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_role = models.CharField(max_length=20, choices=Role.choices())
    decided_at = models.DateTimeField(auto_now_add=True)


class AuditEvent(models.Model):
    """Append-only: database triggers refuse UPDATE and DELETE; each row's hash chains to the previous row's."""

    seq = models.BigAutoField(primary_key=True)
    at = models.DateTimeField()
    actor = models.CharField(max_length=150)
    role = models.CharField(max_length=20)
    action = models.CharField(max_length=40)
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=80)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    reason = models.CharField(max_length=80, blank=True, default="")
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]


class AuditHead(models.Model):
    """The last event's sequence number and hash: one row, locked while an event is appended."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)


class ApiToken(models.Model):
    """A bearer token for the JSON API. Only its sha256 is stored; the token is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=60)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)


NEED_CHOICES = _choices(Need)
ROUTE_CHOICES = _choices(Route)
SETTING_CHOICES = _choices(Setting)
