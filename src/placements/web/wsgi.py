"""The WSGI entry point that ``placements serve`` (waitress) and other servers load."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "placements.web.settings")
application = get_wsgi_application()
