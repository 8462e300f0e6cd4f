from __future__ import annotations

from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "monitoring"

    def ready(self) -> None:
        from proctoring_site.metrics import register_probe

        from .ingest_pool import ingest_pool_pending, ingest_writer_queued

        register_probe(
            "ingest",
            lambda: {
                "pool_pending": ingest_pool_pending(),
                "writer_queued": ingest_writer_queued(),
            },
        )
