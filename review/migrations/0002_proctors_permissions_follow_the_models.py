"""The moved models' permissions now say ``review.*``, and the Proctors group keeps them.

Permissions hang on a content type. Renaming the three content types from ``exams`` to
``review`` keeps every permission row (and so every group's and user's grant, and the admin
log entries) attached; the group is then synchronised with review/proctor_permissions.py.
"""

from django.db import migrations

MOVED_MODELS = ("incidentverdict", "sessionverdict", "proctoraction")


def content_types_to(apps, source: str, target: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    for model in MOVED_MODELS:
        old = ContentType.objects.filter(app_label=source, model=model).first()
        if old is None:
            continue
        new = ContentType.objects.filter(app_label=target, model=model).first()
        if new is None:
            old.app_label = target
            old.save(update_fields=["app_label"])
            continue
        # Both exist (a post_migrate already made the new one): keep the new one, move over
        # any permission it lacks, and let the old one go.
        have = set(Permission.objects.filter(content_type=new).values_list("codename", flat=True))
        Permission.objects.filter(content_type=old).exclude(codename__in=have).update(
            content_type=new
        )
        old.delete()


def forwards(apps, schema_editor):
    from review.proctor_permissions import proctors_group_sync

    content_types_to(apps, "exams", "review")
    proctors_group_sync(apps)


def backwards(apps, schema_editor):
    content_types_to(apps, "review", "exams")


class Migration(migrations.Migration):
    dependencies = [
        ("review", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("accounts", "0001_initial"),
        ("analysis", "0002_enrollment_frames_kind"),
        ("monitoring", "0003_monitoring_sweep_schedule"),
        ("submissions", "0001_code_submissions_and_similarity_matches"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
