"""Every minute, sweep monitoring: candidates who went silent get an offline incident."""

from django.db import migrations


def create_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.update_or_create(
        name="monitoring-sweep",
        defaults={
            "func": "monitoring.tasks.sweep_monitoring",
            "schedule_type": "I",
            "minutes": 1,
            "repeats": -1,
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name="monitoring-sweep").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0002_monitoring_logs_and_session_monitor"),
        ("django_q", "0018_task_success_index"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
