from __future__ import annotations

from django.contrib import admin
from django.urls import include, path, register_converter
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.admin_login import admin_login

from .api_docs import LocalRedocView, redoc_bundle
from .health import health, metrics
from .validation import IdConverter

# Before the includes below: app URLconfs use <id:...> for database ids.
register_converter(IdConverter, "id")

urlpatterns = [
    path("health/", health, name="health"),
    path("api/health/", health, name="api-health"),
    path("metrics", metrics, name="metrics"),
    path("api/auth/", include("accounts.urls")),
    path("api/auth/", include("exams.session_urls")),
    path("api/admin/", include("review.urls")),
    path("api/exams/", include("exams.urls")),
    path("api/monitoring/", include("monitoring.urls")),
    path("api/monitoring/", include("analysis.ingest_urls")),
    path("api/ai-monitoring/", include("analysis.urls")),
    path("api/submissions/", include("submissions.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script.
    path("docs", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema")),
    path("redoc", LocalRedocView.as_view(url_name="schema"), name="redoc"),
    path("redoc/", LocalRedocView.as_view(url_name="schema")),
    path("redoc/redoc.standalone.js", redoc_bundle, name="redoc-bundle"),
    path("exam/", include("exams.page_urls")),
    # Before the admin's own URLs: its sign-in under the API's lockout (429 when locked).
    path("admin/login/", admin_login, name="admin-login"),
    path("admin/", admin.site.urls),
]

handler404 = "proctoring_site.exceptions.json_404"
handler500 = "proctoring_site.exceptions.json_500"
