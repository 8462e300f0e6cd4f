from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from .health import health, metrics

urlpatterns = [
    path("health/", health, name="health"),
    path("api/health/", health, name="api-health"),
    path("metrics", metrics, name="metrics"),
    path("api/auth/", include("accounts.urls")),
    path("api/admin/", include("exams.admin_urls")),
    path("api/exams/", include("exams.urls")),
    path("api/monitoring/", include("monitoring.urls")),
    path("api/monitoring/", include("analysis.ingest_urls")),
    path("api/ai-monitoring/", include("analysis.urls")),
    path("api/submissions/", include("submissions.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema")),
    path("redoc", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("redoc/", SpectacularRedocView.as_view(url_name="schema")),
    path("exam/", include("exams.page_urls")),
    path("admin/", admin.site.urls),
]

handler404 = "proctoring_site.exceptions.json_404"
handler500 = "proctoring_site.exceptions.json_500"
