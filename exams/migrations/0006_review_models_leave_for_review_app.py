"""IncidentVerdict, SessionVerdict and ProctorAction now belong to the review app.

State only: the tables (``exams_incidentverdict``, ``exams_sessionverdict``,
``exams_proctoraction``) and their rows stay where they are; review/migrations/0001 takes the
models over under the same table names.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("exams", "0005_proctors_review_permissions"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="IncidentVerdict"),
                migrations.DeleteModel(name="ProctorAction"),
                migrations.DeleteModel(name="SessionVerdict"),
            ],
            database_operations=[],
        )
    ]
