from __future__ import annotations

from django.apps import AppConfig


class AnalysisConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "analysis"
    verbose_name = "Analysis"

    def ready(self) -> None:
        from django_q.signals import post_spawn

        from proctoring_site.health import health_section_register

        from . import checks, signals  # noqa: F401
        from .selectors import analysis_health
        from .tasks import worker_preload

        post_spawn.connect(worker_preload, dispatch_uid="analysis_worker_preload")
        health_section_register("analysis", analysis_health)
