"""Production: HTTPS only, behind a TLS-terminating proxy. ``manage.py check --deploy`` is clean with these.

Needs ``PLACEMENTS_WEB_SECRET_KEY`` (50+ random characters), ``PLACEMENTS_WEB_ALLOWED_HOSTS`` and usually
``DATABASE_URL`` (PostgreSQL) in the environment.
"""

from __future__ import annotations

import os

from placements.web.settings import *  # noqa: F403

if not os.environ.get("PLACEMENTS_WEB_SECRET_KEY"):
    raise RuntimeError("set PLACEMENTS_WEB_SECRET_KEY (50+ random characters) for production")

DEBUG = False
SECURE_COOKIES = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_SSL_REDIRECT = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 31_536_000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
