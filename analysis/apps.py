from __future__ import annotations

from django.apps import AppConfig


class AnalysisConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "analysis"
    verbose_name = "Analysis"

    def ready(self) -> None:
        from django_q.signals import post_spawn

        from monitoring.incidents import incidents_changed_hook_register
        from monitoring.media_socket import media_handler_register
        from proctoring_site.health import health_section_register
        from proctoring_site.metrics import register_probe

        from . import checks, signals  # noqa: F401
        from .selectors import analysis_capacity_probe, analysis_health
        from .services.purge import retention_health
        from .services.risk import risk_session_hook
        from .socket_ingest import media_from_socket
        from .tasks import worker_preload

        incidents_changed_hook_register(risk_session_hook)
        media_handler_register(media_from_socket)

        post_spawn.connect(worker_preload, dispatch_uid="analysis_worker_preload")
        health_section_register("analysis", analysis_health)
        health_section_register("retention", retention_health)
        register_probe("analysis", analysis_capacity_probe)
