"""Append-only audit (UPDATE and DELETE refused by triggers on SQLite and PostgreSQL), and one group per role."""

from typing import Any

from django.db import migrations


def triggers(apps: Any, schema_editor: Any) -> None:
    from placements.web.audit import install_triggers

    install_triggers(schema_editor)


def no_triggers(apps: Any, schema_editor: Any) -> None:
    from placements.web.audit import remove_triggers

    remove_triggers(schema_editor)


def roles(apps: Any, schema_editor: Any) -> None:
    group = apps.get_model("auth", "Group")
    for name in ("officer", "manager", "commissioner", "read_only"):
        group.objects.get_or_create(name=name)
    head = apps.get_model("web", "AuditHead")
    head.objects.get_or_create(pk=1, defaults={"last_seq": 0, "last_hash": "0" * 64})


class Migration(migrations.Migration):
    dependencies = [("web", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [
        migrations.RunPython(triggers, no_triggers),
        migrations.RunPython(roles, migrations.RunPython.noop),
    ]
