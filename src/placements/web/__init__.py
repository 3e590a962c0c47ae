"""The placement team's web application (issue 15): Django 5.2 LTS over the engine's public API.

Install with the ``web`` extra (``pip install 'placements[web]'``); the library and the command
line never import this package. ``placements serve`` starts it (see ``docs/web.md``).

Layout (HackSoftware's services/selectors split): ``models`` hold data and invariants,
``services`` every write (each one audited), ``selectors`` the reads, ``views`` and ``api`` only
check the role, validate and call them. The engine is the service layer underneath: the match
runs through ``placements.read_case_folder`` and ``placements.match`` in a background worker,
never in a request.
"""

from __future__ import annotations

import os

DEFAULT_SETTINGS = "placements.web.settings"


def setup(database_url: str | None = None, settings_module: str | None = None) -> None:
    """Configure Django for code outside a request (the CLI, the worker, benchmarks)."""
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module or DEFAULT_SETTINGS)
    import django

    django.setup()
