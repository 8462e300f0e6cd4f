"""Proctors review, warn, terminate and view evidence; they no longer edit sessions/incidents.

Verdicts and actions go through the dashboard's services; direct edits of sessions and
incidents (and everything in monitoring, analysis and submissions) are for admins only.
"""

from django.db import migrations


def sync_group(apps, schema_editor):
    from exams.proctor_permissions import proctors_group_sync

    proctors_group_sync(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("exams", "0004_review_verdicts_and_proctor_actions"),
    ]

    operations = [migrations.RunPython(sync_group, migrations.RunPython.noop)]
