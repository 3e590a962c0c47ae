"""Forms: each field's error is shown beside it and in the error summary (templates/web/field.html)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from placements.codes import Need, PlaceSex, Provider, Route, Setting, Sex, Status, Urgency
from placements.web.models import ChooseReason, Home, Referral, RejectReason

LABELS = {
    "M": "Male",
    "F": "Female",
    "U": "Not recorded",
    "any": "Any",
    "foster": "Fostering household",
    "residential": "Children's home",
    "supported": "Supported accommodation (16 and 17 only)",
    "in_house": "In-house",
    "ifa": "Independent fostering agency",
    "other_la": "Another council",
    "sgo": "special guardianship order",
    "cao": "child arrangements order",
    "uasc": "unaccompanied asylum-seeking child",
    "needs_placement": "Needs a home",
    "placed": "Placed",
}


def _choices(enum: type, blank: bool = False) -> list[tuple[str, str]]:
    out = [(m.value, LABELS.get(m.value, m.value.replace("_", " "))) for m in enum]  # type: ignore[attr-defined]
    return [("", "Not given"), *out] if blank else out


class CodeList(forms.MultipleChoiceField):
    """A ;-separated code list stored as text, edited as checkboxes."""

    widget = forms.CheckboxSelectMultiple

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, str):
            return [v for v in value.split(";") if v]
        return value


def _joined(values: list[str]) -> str:
    return ";".join(values)


def checked_postcode(value: str, what: str) -> str:
    """A postcode the engine will find: normalised, and in the ONS Postcode Directory (as the match checks).

    Blank stays blank. Raises ``ValueError`` saying what to enter (the form and the JSON API share it)."""
    from placements.geo import normalise_postcode
    from placements.io.postcodes import lookup

    text = (value or "").strip()
    if not text:
        return ""
    norm = normalise_postcode(text)
    if norm is None:
        raise ValueError(f"Enter {what} as a postcode, like NG7 2RD")
    if norm not in lookup([norm]):
        raise ValueError(f"{norm} is not in the ONS Postcode Directory: check {what}")
    return norm


def _postcode(value: str, what: str) -> str:
    try:
        return checked_postcode(value, what)
    except ValueError as exc:
        raise forms.ValidationError(str(exc)) from None


class HomeForm(forms.ModelForm):
    meets_needs = CodeList(choices=_choices(Need), required=False, label="Needs the home can meet")

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["setting"].choices = _choices(Setting)
        self.fields["provider"].choices = _choices(Provider)
        self.fields["sex"].choices = _choices(PlaceSex)

    class Meta:
        model = Home
        fields = [
            "setting",
            "provider",
            "postcode",
            "local_authority",
            "children_in_placement",
            "age_min",
            "age_max",
            "sex",
            "meets_needs",
            "weekly_cost",
            "long_term",
            "sibling_exemption",
        ]
        labels = {
            "postcode": "Postcode of the home",
            "local_authority": "Local authority code (blank: from the postcode)",
            "children_in_placement": "Children living there now",
            "age_min": "Youngest age approved",
            "age_max": "Oldest age approved",
            "sex": "Approved for",
            "weekly_cost": "Weekly cost (GBP)",
            "long_term": "Approved as a long-term carer",
            "sibling_exemption": "Holds an exemption from the usual fostering limit",
        }

    def clean_meets_needs(self) -> str:
        return _joined(self.cleaned_data["meets_needs"])

    def clean_postcode(self) -> str:
        return _postcode(self.cleaned_data.get("postcode", ""), "the home's postcode")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        lo, hi = data.get("age_min"), data.get("age_max")
        if lo is not None and hi is not None and lo > hi:
            self.add_error("age_max", "The oldest age approved must not be below the youngest")
        if not data.get("postcode"):
            self.add_error("postcode", "Enter the postcode of the home")
        return data


class NewHomeForm(HomeForm):
    place_id = forms.CharField(max_length=40, label="Home identifier")

    class Meta(HomeForm.Meta):
        fields = ["place_id", "vacancies", *HomeForm.Meta.fields]


class VacancyForm(forms.Form):
    vacancies = forms.IntegerField(min_value=0, max_value=20, label="Vacancies confirmed today")
    version = forms.IntegerField(widget=forms.HiddenInput)


class ReferralForm(forms.ModelForm):
    needs = CodeList(choices=_choices(Need), required=False, label="Assessed needs the home must meet")
    preferred_setting = forms.ChoiceField(
        choices=_choices(Setting, blank=True), required=False, label="Preferred kind of home"
    )
    suitable_settings = CodeList(
        choices=_choices(Setting),
        required=False,
        label="Suitable kinds of home (the others are unsuitable; none ticked: the default for the child's age)",
    )
    permanence_plan = CodeList(
        choices=_choices(Route), required=False, label="Permanence plan (two or more: a dual plan)"
    )

    class Meta:
        model = Referral
        fields = [
            "date_of_birth",
            "sex",
            "status",
            "urgency",
            "sibling_group",
            "needs",
            "lives_with_others",
            "home_postcode",
            "school_postcode",
            "avoid_areas",
            "max_distance_miles",
            "permanence_plan",
            "plan_date",
            "last_review_date",
            "entered_care_date",
            "assessment_date",
        ]
        labels = {
            "date_of_birth": "Date of birth",
            "sibling_group": "Sibling group to place together (the same label for each sibling)",
            "lives_with_others": "Can live with other children",
            "home_postcode": "Family home postcode",
            "school_postcode": "School postcode",
            "avoid_areas": "Areas to avoid",
            "max_distance_miles": "Furthest distance from the family home (miles)",
            "plan_date": "Date of the permanence plan",
            "last_review_date": "Date of the last review",
            "entered_care_date": "Date the child came into care",
            "assessment_date": "Date of the latest assessment",
        }
        help_texts = {
            "school_postcode": "The school the child attends: the match prefers homes nearer it.",
            "avoid_areas": (
                "Places the child must never be placed in (for example a risk of exploitation, or a person who "
                "harms them). Postcode districts like NG7, sectors like NG7 2 or council codes like E06000018, "
                "separated by semicolons. No full postcodes."
            ),
        }
        widgets = {
            **{
                f: forms.DateInput(attrs={"type": "date"})
                for f in ("date_of_birth", "plan_date", "last_review_date", "entered_care_date", "assessment_date")
            },
            "avoid_areas": forms.TextInput(attrs={"spellcheck": "false"}),
        }

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = _choices(Status)
        self.fields["sex"].choices = _choices(Sex)
        self.fields["urgency"].choices = _choices(Urgency)
        required = {
            "child_id": "Enter the child's identifier",
            "date_of_birth": "Enter the child's date of birth",
            "sex": "Choose the child's sex",
            "status": "Choose whether the child needs a home",
            "urgency": "Choose how urgent the referral is",
        }
        for name, text in required.items():
            if name in self.fields:
                self.fields[name].error_messages["required"] = text
        self.fields["date_of_birth"].error_messages["invalid"] = "Enter the date of birth as a real date"
        if self.instance and self.instance.settings:
            order = self.instance.settings.split(";")
            self.initial.setdefault("preferred_setting", order[0])
            self.initial.setdefault("suitable_settings", order)

    def clean_needs(self) -> str:
        return _joined(self.cleaned_data["needs"])

    def clean_home_postcode(self) -> str:
        return _postcode(self.cleaned_data.get("home_postcode", ""), "the family home's postcode")

    def clean_school_postcode(self) -> str:
        return _postcode(self.cleaned_data.get("school_postcode", ""), "the school's postcode")

    def clean_avoid_areas(self) -> str:
        """Checked and normalised by the engine's own parser, so the form and the case folder agree."""
        from placements.geo import parse_avoid_areas

        try:
            return ";".join(parse_avoid_areas(self.cleaned_data.get("avoid_areas", "") or ""))
        except ValueError as exc:
            raise forms.ValidationError(
                f"Enter each area to avoid as a district, sector or council code: {exc}"
            ) from None

    def clean_permanence_plan(self) -> str:
        return _joined(self.cleaned_data["permanence_plan"])

    def clean_date_of_birth(self) -> dt.date:
        dob = self.cleaned_data["date_of_birth"]
        if dob > dt.date.today():
            raise forms.ValidationError("The date of birth must be in the past")
        if (dt.date.today() - dob).days > 18 * 366:
            raise forms.ValidationError("The child must be under 18")
        return dob

    def clean_max_distance_miles(self) -> float | None:
        v = self.cleaned_data.get("max_distance_miles")
        if v is not None and v <= 0:
            raise forms.ValidationError("The distance must be more than 0 miles")
        return v

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        preferred = data.get("preferred_setting") or ""
        suitable = list(data.get("suitable_settings") or [])
        if preferred and suitable and preferred not in suitable:
            self.add_error("preferred_setting", "The preferred kind of home must be one of the suitable ones")
        order = ([preferred] if preferred else []) + [s for s in suitable if s != preferred]
        if preferred and not suitable:
            order = [preferred]
        data["settings"] = ";".join(order)
        if data.get("max_distance_miles") and not data.get("home_postcode"):
            self.add_error("max_distance_miles", "A furthest distance needs the family home postcode")
        return data

    def save(self, commit: bool = True) -> Referral:
        self.instance.settings = self.cleaned_data["settings"]
        return super().save(commit)


class NewReferralForm(ReferralForm):
    child_id = forms.CharField(max_length=40, label="Child identifier (the authority's own; no names)")

    class Meta(ReferralForm.Meta):
        fields = ["child_id", *ReferralForm.Meta.fields]


class DecisionForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[("accept", "Accept"), ("reject", "Reject"), ("choose_other", "Choose another home")],
        widget=forms.HiddenInput,
    )
    reject_reason = forms.ChoiceField(choices=[("", "Choose a reason"), *RejectReason.choices()], required=False)
    choose_reason = forms.ChoiceField(choices=[("", "Choose a reason"), *ChooseReason.choices()], required=False)
    other_home = forms.CharField(required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("kind") == "reject" and not data.get("reject_reason"):
            self.add_error("reject_reason", "Choose the reason for rejecting this home")
        if data.get("kind") == "choose_other":
            if not data.get("other_home"):
                self.add_error("other_home", "Choose a home from the shortlist")
            if not data.get("choose_reason"):
                self.add_error("choose_reason", "Choose the reason for choosing another home")
        return data


class ApprovalForm(forms.Form):
    outcome = forms.ChoiceField(
        choices=[("approve", "Approve"), ("refuse", "Refuse")], widget=forms.RadioSelect, label="Your decision"
    )
    rationale = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Management rationale",
        help_text="Why this placement is, or is not, in the child's interest. Do not write names.",
        min_length=10,
        error_messages={"min_length": "Write the rationale in at least a sentence", "required": "Write the rationale"},
    )


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[
            ("places", "Homes (places.csv)"),
            ("children", "Referrals (children.csv)"),
            ("ssda903", "Referrals from an SSDA903 return (a zip of its CSV files), with its supplement"),
        ],
        widget=forms.RadioSelect,
        label="What the file holds",
        error_messages={"required": "Choose what the file holds"},
    )
    file = forms.FileField(label="File", error_messages={"required": "Choose the file to import"})
    supplement = forms.FileField(
        label="Supplement (SSDA903 only, optional)",
        required=False,
        help_text="CSV keyed by CHILD: who needs a home, needs, siblings, settings and plans (docs/ssda903.md)",
    )


class TokenForm(forms.Form):
    name = forms.CharField(max_length=60, label="What the token is for")
