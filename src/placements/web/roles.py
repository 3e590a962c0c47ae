"""Roles and what each may do: one table, checked on the server by every view and API operation.

A user's role is their Django group (one of :class:`~placements.web.models.Role`). Managers can
do everything an officer can, and also approve, override and withdraw rejections. Commissioners
see the register and sufficiency, not children's records. Read-only users see records and
proposals but change nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from placements.web.models import Role

OFF, MAN, COM, RO = Role.OFFICER, Role.MANAGER, Role.COMMISSIONER, Role.READ_ONLY

#: action -> roles allowed. Every view and API operation names exactly one action.
PERMISSIONS: dict[str, frozenset[str]] = {
    "view_home": frozenset({OFF, MAN, COM, RO}),  # the register of homes
    "edit_home": frozenset({OFF, MAN}),
    "import": frozenset({OFF, MAN}),
    "view_child": frozenset({OFF, MAN, RO}),  # referrals and a child's record (views are audited)
    "edit_child": frozenset({OFF, MAN}),
    "view_run": frozenset({OFF, MAN, RO}),  # match runs and their proposals
    "run_match": frozenset({OFF, MAN}),
    "decide": frozenset({OFF, MAN}),
    "record_move": frozenset({OFF, MAN}),
    "approve": frozenset({MAN}),
    "withdraw": frozenset({MAN}),
    "export": frozenset({OFF, MAN}),
    "view_sufficiency": frozenset({COM, MAN}),
    "view_audit": frozenset({MAN}),
    "manage_tokens": frozenset({OFF, MAN, COM, RO}),  # one's own API tokens
}


def role_of(user: AbstractBaseUser | AnonymousUser | None) -> str | None:
    """The user's role (their group), or None for anonymous users and users without one."""
    if user is None or not user.is_authenticated:
        return None
    cached = getattr(user, "_placements_role", "")
    if cached != "":
        return cached
    names = set(user.groups.values_list("name", flat=True))
    role = next((r.value for r in Role if r.value in names), None)
    user._placements_role = role
    return role


def can(user: Any, action: str) -> bool:
    role = role_of(user)
    return role is not None and role in PERMISSIONS[action]


def check(user: Any, action: str) -> str:
    """The user's role when allowed; PermissionDenied (403) otherwise."""
    if not can(user, action):
        raise PermissionDenied(f"your role may not {action.replace('_', ' ')}")
    return role_of(user) or ""


def requires(action: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """View decorator: anonymous users go to the sign-in page; signed-in users without the role get 403."""
    if action not in PERMISSIONS:
        raise KeyError(action)

    def wrap(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def inner(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            if not request.user.is_authenticated:
                from django.contrib.auth.views import redirect_to_login

                return redirect_to_login(request.get_full_path())
            check(request.user, action)
            from placements.web.selectors import NoAuthority

            try:
                return view(request, *args, **kwargs)
            except NoAuthority as exc:
                from django.shortcuts import render

                return render(request, "web/not_set_up.html", {"reason": str(exc)}, status=503)

        inner.required_action = action  # type: ignore[attr-defined]
        return inner

    return wrap
