"""Proctors review, warn, terminate and view evidence; they no longer edit sessions/incidents.

Verdicts and actions go through the dashboard's services; direct edits of sessions and
incidents (and everything in monitoring, analysis and submissions) are for admins only.

The review models lived in this app when this migration was written; its list is frozen here
as it was then (review/migrations/0002 moves these permissions to the review app).
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

PROCTOR_PERMISSIONS = (
    ("accounts", "view_user"),
    ("accounts", "view_candidateprofile"),
    ("exams", "view_exam"),
    ("exams", "view_problem"),
    ("exams", "view_examsession"),
    ("exams", "view_sessiontransition"),
    ("exams", "view_incidentverdict"),
    ("exams", "add_incidentverdict"),
    ("exams", "view_sessionverdict"),
    ("exams", "add_sessionverdict"),
    ("exams", "view_proctoraction"),
    ("exams", "warn_session"),
    ("exams", "terminate_session"),
    ("exams", "view_evidence"),
)
VIEW_ALL_MODELS_OF = ("monitoring", "analysis", "submissions")


def sync_group(apps, schema_editor):
    for app_config in apps.get_app_configs():
        had_models = getattr(app_config, "models_module", None)
        app_config.models_module = had_models or True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = had_models
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Proctors")
    wanted = set()
    for app_label, codename in PROCTOR_PERMISSIONS:
        permission = Permission.objects.filter(
            content_type__app_label=app_label, codename=codename
        ).first()
        if permission is not None:
            wanted.add(permission.pk)
    wanted.update(
        Permission.objects.filter(
            content_type__app_label__in=VIEW_ALL_MODELS_OF, codename__startswith="view_"
        ).values_list("pk", flat=True)
    )
    group.permissions.set(sorted(wanted))


class Migration(migrations.Migration):
    dependencies = [
        ("exams", "0004_review_verdicts_and_proctor_actions"),
    ]

    operations = [migrations.RunPython(sync_group, migrations.RunPython.noop)]
