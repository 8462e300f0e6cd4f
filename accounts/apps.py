from django.apps import AppConfig


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"

    def ready(self) -> None:
        # The OpenAPI scheme of our JWT authentication (drf-spectacular finds it on import).
        from proctoring_site import schema  # noqa: F401
