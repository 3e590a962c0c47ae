"""Django settings for the test suite: the application's settings on a throwaway database.

SQLite in a temporary folder by default (a file, so the live server, the worker thread and the test
share it, with WAL and IMMEDIATE transactions as in use); PostgreSQL when
``PLACEMENTS_TEST_DATABASE_URL`` names a server (``.ci/run`` starts one), where Django creates and
drops the ``test_...`` database.
"""

from __future__ import annotations

import os
import tempfile

_DATA = tempfile.mkdtemp(prefix="placements-web-test-")
os.environ["PLACEMENTS_WEB_DATA"] = _DATA
os.environ.setdefault("PLACEMENTS_WEB_SECRET_KEY", "test-only-" + "k" * 60)
_PG = os.environ.get("PLACEMENTS_TEST_DATABASE_URL")
os.environ["DATABASE_URL"] = _PG or f"sqlite:///{_DATA}/web.sqlite3"

from placements.web.settings import *  # noqa: E402, F403
from placements.web.settings import DATABASES  # noqa: E402

if not _PG:
    DATABASES["default"]["TEST"] = {"NAME": f"{_DATA}/test-web.sqlite3"}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; tests only
