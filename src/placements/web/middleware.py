"""A user signed in with a one-time password must choose their own before anything else."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse


class PasswordChangeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not request.path.startswith(("/static/", "/api/")):
            profile = getattr(user, "profile", None)
            allowed = (reverse("password_change"), reverse("logout"))
            if profile is not None and profile.must_change_password and request.path not in allowed:
                return redirect("password_change")
        return self.get_response(request)
