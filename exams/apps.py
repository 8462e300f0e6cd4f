from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ExamsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "exams"

    def ready(self) -> None:
        from proctoring_site.health import health_section_register

        from .dashboard.retention import retention_health
        from .proctor_permissions import sync_after_migrate

        health_section_register("retention", retention_health)

        # Only after the last app migrated (sender is each app in turn); "analysis" is the
        # last of ours in INSTALLED_APPS, but any sender works because the sync is idempotent.
        post_migrate.connect(sync_after_migrate, sender=self, dispatch_uid="proctors-group-sync")
