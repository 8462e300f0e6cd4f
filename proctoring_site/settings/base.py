"""Settings shared by every environment. Values come from the environment (see README)."""

from __future__ import annotations

from pathlib import Path

import dj_database_url

from .env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parents[2]

# A local-only default; production.py refuses to start without a real SECRET_KEY.
LOCAL_SECRET_KEY = "django-insecure-local-only-change-me-8f3c2a1e9d7b"  # noqa: S105 - public
SECRET_KEY = env_str("SECRET_KEY", LOCAL_SECRET_KEY)
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "corsheaders",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "channels",
    "django_q",
    "accounts",
    "exams",
    "monitoring",
    "submissions",
    "analysis",
    "review",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "proctoring_site.middleware.SecurityHeadersMiddleware",
    "proctoring_site.middleware.AccessLogMiddleware",
    "proctoring_site.middleware.BodySizeLimitMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "proctoring_site.urls"
WSGI_APPLICATION = "proctoring_site.wsgi.application"
ASGI_APPLICATION = "proctoring_site.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# DATABASE_URL unset: a SQLite file in the project root. SQLite gets a generous busy timeout
# because the ASGI server and the django-q2 worker write to the same file.
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0))
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE: a writing transaction takes the write lock when it begins, so concurrent
    # writers wait their turn (up to the timeout) instead of failing on lock upgrade.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 30, "transaction_mode": "IMMEDIATE"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# The ASGI app serves static files itself (no extra web server needed for `make run`).
SERVE_STATIC = env_bool("SERVE_STATIC", True)

MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))

REDIS_URL = env_str("REDIS_URL", "")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "proctoring"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.RevocableJWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "proctoring_site.parsers.NestingSafeJSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "proctoring_site.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "proctoring_site.exceptions.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Exam Proctoring API",
    "DESCRIPTION": "Candidates' exam sessions, monitoring ingest, analysis and review.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Public unless API_DOCS_PUBLIC is off (production's default): proctoring_site/permissions.py.
    "SERVE_PERMISSIONS": ["proctoring_site.permissions.ApiDocsPermission"],
    # Served from drf-spectacular-sidecar's static files: the docs work with no network.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {"SessionStatusEnum": "exams.lifecycle.SessionStatus"},
    # Schema generation is tested on its own (proctoring_site/tests); keeping it out of
    # `check --deploy` keeps that check about deployment settings.
    "ENABLE_DJANGO_DEPLOY_CHECK": False,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "proctoring_site.schema.add_error_responses",
    ],
}

# Request body limits (bytes) by path prefix, longest prefix wins; answered with 413.
API_BODY_LIMIT_DEFAULT = env_int("API_BODY_LIMIT_DEFAULT", 1024 * 1024)
API_BODY_LIMITS = {
    "/api/monitoring/frames": env_int("API_BODY_LIMIT_FRAMES", 4 * 1024 * 1024),
    "/api/monitoring/audio": env_int("API_BODY_LIMIT_AUDIO", 4 * 1024 * 1024),
    "/api/ai-monitoring/analyze": env_int("API_BODY_LIMIT_ANALYZE", 8 * 1024 * 1024),
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# Login brute-force protection: after this many failures for one username from one address,
# every attempt (the correct password included) is refused for the lockout period.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 15 * 60)

# How long media that is not evidence, and evidence itself, are kept (days).
MEDIA_RETENTION_DAYS = env_int("MEDIA_RETENTION_DAYS", 30)

# One handler, whose formatter redacts every finished line (proctoring_site/logging.py).
# Django's own loggers are routed to it instead of Django's default handlers (whose console
# handler under DEBUG, and mail_admins, would print request paths with tokens unredacted).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "redacted": {
            "()": "proctoring_site.logging.RedactingFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "redacted"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
    },
}

from .analysis import *  # noqa: E402,F403
from .capacity import *  # noqa: E402,F403
from .channels import *  # noqa: E402,F403
from .cors import *  # noqa: E402,F403
from .jwt import *  # noqa: E402,F403
from .monitoring import *  # noqa: E402,F403
from .q_cluster import *  # noqa: E402,F403
from .review import *  # noqa: E402,F403
from .security import *  # noqa: E402,F403
from .submissions import *  # noqa: E402,F403
