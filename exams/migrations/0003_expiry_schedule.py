"""Every minute, expire sessions whose time ran out (also checked on each request)."""

from django.db import migrations


def create_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.update_or_create(
        name="expire-due-sessions",
        defaults={
            "func": "exams.tasks.expire_due_sessions",
            "schedule_type": "I",
            "minutes": 1,
            "repeats": -1,
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name="expire-due-sessions").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("exams", "0002_proctors_group"),
        ("django_q", "0018_task_success_index"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
