from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ReviewConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "review"
    verbose_name = "Review"

    def ready(self) -> None:
        from .proctor_permissions import sync_after_migrate

        # Sender is this app only: "review" is the last of ours in INSTALLED_APPS, so every
        # other app's permissions exist by then (the sync is idempotent in any case).
        post_migrate.connect(sync_after_migrate, sender=self, dispatch_uid="proctors-group-sync")
