"""The "Proctors" group: view everything needed for review, change incidents and sessions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

PROCTOR_PERMISSIONS = [
    ("accounts", "view_user"),
    ("accounts", "view_candidateprofile"),
    ("exams", "view_exam"),
    ("exams", "view_problem"),
    ("exams", "view_examsession"),
    ("exams", "change_examsession"),
    ("exams", "view_sessiontransition"),
    ("monitoring", "view_incident"),
    ("monitoring", "change_incident"),
]


def create_group(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Proctors")
    for app_label, codename in PROCTOR_PERMISSIONS:
        permission = Permission.objects.get(content_type__app_label=app_label, codename=codename)
        group.permissions.add(permission)


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Proctors").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("accounts", "0001_initial"),
        ("exams", "0001_initial"),
        ("monitoring", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
