"""The Django application configuration of the placement team's web application."""

from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "placements.web"
    label = "web"
    verbose_name = "Placements"
    default_auto_field = "django.db.models.BigAutoField"
