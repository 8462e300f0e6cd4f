from __future__ import annotations

from django.apps import AppConfig


class AnalysisConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "analysis"
    verbose_name = "Analysis"

    def ready(self) -> None:
        from django_q.signals import post_spawn

        from . import checks, signals  # noqa: F401
        from .tasks import worker_preload

        post_spawn.connect(worker_preload, dispatch_uid="analysis_worker_preload")
