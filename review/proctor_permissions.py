"""What the "Proctors" group may do, in one place, and the function that applies it.

Proctors view everything a review needs, record verdicts, warn and terminate. They never add,
change or delete logs, analysis results, submissions, exams or users: only admins (superusers)
manage those. Apps built in parallel (monitoring logs, analysis results, submissions) add
models over time, so the group is re-synchronised after every ``migrate`` (post_migrate) as
well as by the data migration: a new model in those apps is viewable without a new migration.
"""

from __future__ import annotations

from typing import Any

PROCTORS_GROUP = "Proctors"

# Every model of these apps is viewable (and nothing more) by proctors.
VIEW_ALL_MODELS_OF = ("monitoring", "analysis", "submissions")

PROCTOR_PERMISSIONS: tuple[tuple[str, str], ...] = (
    ("accounts", "view_user"),
    ("accounts", "view_candidateprofile"),
    ("exams", "view_exam"),
    ("exams", "view_problem"),
    ("exams", "view_examsession"),
    ("exams", "view_sessiontransition"),
    ("exams", "view_attemptgrant"),
    ("exams", "grant_attempt"),
    ("review", "view_incidentverdict"),
    ("review", "add_incidentverdict"),
    ("review", "view_sessionverdict"),
    ("review", "add_sessionverdict"),
    ("review", "view_proctoraction"),
    ("review", "warn_session"),
    ("review", "terminate_session"),
    ("review", "view_evidence"),
)


def proctors_group_sync(apps: Any) -> None:
    """Give the Proctors group exactly the permissions above (extra ones are removed).

    ``apps`` is a migration's app registry or ``django.apps.apps``.
    """
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        # create_permissions skips configs without a models module; historical registries
        # have none, so mark them while creating.
        had_models = getattr(app_config, "models_module", None)
        app_config.models_module = had_models or True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = had_models
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=PROCTORS_GROUP)
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


def sync_after_migrate(sender: Any, **kwargs: Any) -> None:
    """post_migrate receiver: runs once per migrate, after the exams app's signal."""
    from django.apps import apps as global_apps

    proctors_group_sync(kwargs.get("apps") or global_apps)
