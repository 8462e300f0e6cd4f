"""The review models, taken over from the exams app without touching the database.

State only: the tables keep their ``exams_*`` names (``Meta.db_table``) and every row in them.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('exams', '0006_review_models_leave_for_review_app'),
        ('monitoring', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='IncidentVerdict',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('notes', models.TextField(blank=True)),
                        ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                        ('verdict', models.CharField(choices=[('confirmed', 'Confirmed'), ('dismissed', 'Dismissed'), ('needs_second_review', 'Needs second review')], max_length=24)),
                        ('incident', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='verdicts', to='monitoring.incident')),
                        ('reviewer', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'incident verdict',
                        'db_table': 'exams_incidentverdict',
                        'ordering': ['created_at', 'pk'],
                        'abstract': False,
                    },
                ),
                migrations.CreateModel(
                    name='ProctorAction',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('warning', 'Warning'), ('termination', 'Termination')], max_length=16)),
                        ('message', models.TextField()),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('actor', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('session', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='proctor_actions', to='exams.examsession')),
                    ],
                    options={
                        'db_table': 'exams_proctoraction',
                        'ordering': ['created_at', 'pk'],
                        'permissions': [('warn_session', 'Can warn a candidate during a session'), ('terminate_session', 'Can terminate a session'), ('view_evidence', 'Can view evidence media (frames, audio, code)')],
                    },
                ),
                migrations.CreateModel(
                    name='SessionVerdict',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('notes', models.TextField(blank=True)),
                        ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                        ('verdict', models.CharField(choices=[('clear', 'Clear'), ('suspicious', 'Suspicious'), ('violation', 'Violation')], max_length=16)),
                        ('reviewer', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('session', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='verdicts', to='exams.examsession')),
                    ],
                    options={
                        'verbose_name': 'session verdict',
                        'db_table': 'exams_sessionverdict',
                        'ordering': ['created_at', 'pk'],
                        'abstract': False,
                    },
                ),
            ],
        )
    ]
