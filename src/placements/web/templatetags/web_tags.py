"""Template helpers: GOV.UK classes on Django widgets, and plain-English formatting."""

from __future__ import annotations

from typing import Any

from django import template
from django.forms import BoundField
from django.utils.safestring import SafeString

register = template.Library()

_CLASSES = {  # Django's widget_type: the widget class name without "Input"/"Widget"
    "text": "govuk-input",
    "number": "govuk-input govuk-input--width-5",
    "date": "govuk-input govuk-input--width-10",
    "email": "govuk-input",
    "password": "govuk-input govuk-input--width-20",
    "select": "govuk-select",
    "textarea": "govuk-textarea",
    "clearablefile": "govuk-file-upload",
    "file": "govuk-file-upload",
}


@register.filter
def govuk_widget(field: BoundField) -> SafeString:
    kind = field.widget_type
    css = _CLASSES.get(kind, "")
    if field.errors and css:
        css += " " + css.split()[0] + "--error"
    attrs: dict[str, Any] = {"class": css} if css else {}
    described = []
    if field.help_text:
        described.append(f"{field.auto_id}-hint")
    if field.errors:
        described.append(f"{field.auto_id}-error")
    if described:
        attrs["aria-describedby"] = " ".join(described)
    if kind == "number":
        attrs["inputmode"] = "numeric"
    return field.as_widget(attrs=attrs)


@register.filter
def words(code: Any) -> str:
    return str(code or "").replace("_", " ")


@register.filter
def codes(text: Any) -> str:
    """A ;-separated code list as words: 'a_b;c' -> 'a b, c'."""
    items = [t.replace("_", " ") for t in str(text or "").split(";") if t]
    return ", ".join(items) if items else "none"


@register.filter
def miles(value: Any) -> str:
    if value is None or value != value:
        return "unknown"
    return f"{float(value):.1f} miles"


@register.filter
def gbp(value: Any) -> str:
    if value is None:
        return ""
    return f"£{float(value):,.0f}"


@register.filter
def sex_words(code: Any) -> str:
    return {"M": "male", "F": "female"}.get(str(code), "sex not recorded")


SETTING_WORDS = {"foster": "fostering", "residential": "children's home", "supported": "supported accommodation"}
PROVIDER_WORDS = {
    "in_house": "in-house",
    "ifa": "IFA",
    "private": "private",
    "voluntary": "voluntary",
    "other_la": "another council",
}


@register.filter
def setting_words(code: Any) -> str:
    return SETTING_WORDS.get(str(code), str(code))


@register.filter
def provider_words(code: Any) -> str:
    return PROVIDER_WORDS.get(str(code), str(code).replace("_", " "))


STATUS_WORDS = {
    "awaiting_approval": "Awaiting approval",
    "held": "Held",
    "placed": "Placed",
    "rejected": "Rejected",
    "refused": "Refused",
    "withdrawn": "Withdrawn",
}


@register.filter
def status_words(code: Any) -> str:
    return STATUS_WORDS.get(str(code), str(code))


@register.filter
def audit_change(event: Any) -> str:
    """An audit event's before and after as short 'field: old → new' items (empty values left out)."""
    before, after = event.before or {}, event.after or {}
    items = []
    for key in after or before:
        old, new = before.get(key), after.get(key)
        if key in before and old != new:
            items.append(f"{key}: {old} → {new}")
        elif key not in before and new not in (None, "", [], False):
            items.append(f"{key}: {new}")
    shown = items[:10]
    if len(items) > 10:
        shown.append(f"and {len(items) - 10} more")
    return "; ".join(shown)
