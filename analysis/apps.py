from __future__ import annotations

from django.apps import AppConfig


class AnalysisConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "analysis"
    verbose_name = "Analysis"

    def ready(self) -> None:
        from django_q.signals import post_spawn

        from proctoring_site.metrics import register_probe

        from . import signals  # noqa: F401
        from .selectors import analysis_capacity_probe
        from .tasks import worker_preload

        post_spawn.connect(worker_preload, dispatch_uid="analysis_worker_preload")
        register_probe("analysis", analysis_capacity_probe)
