"""The API docs (Swagger UI at /docs, Redoc at /redoc): every asset served from here, and
visible to signed-in staff only in production unless API_DOCS_PUBLIC says otherwise."""

from __future__ import annotations

from functools import cache

from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET
from drf_spectacular.views import SpectacularRedocView

_SIDECAR_REDOC = "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"
# Redoc's bundle shows its "powered by" logo from Redocly's CDN; the docs must load nothing
# from elsewhere, so the bundle is served with that image inlined.
_REDOC_CDN_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
_LOCAL_LOGO = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 1 1'/%3E"


@cache
def _redoc_bundle() -> bytes:
    path = finders.find(_SIDECAR_REDOC)
    if path is None:  # pragma: no cover - drf-spectacular-sidecar is a pinned dependency
        raise FileNotFoundError(_SIDECAR_REDOC)
    with open(path, encoding="utf-8") as bundle:
        return bundle.read().replace(_REDOC_CDN_LOGO, _LOCAL_LOGO).encode("utf-8")


@require_GET
def redoc_bundle(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(_redoc_bundle(), content_type="application/javascript")
    response["Cache-Control"] = "public, max-age=86400"
    return response


class LocalRedocView(SpectacularRedocView):
    template_name = "api_docs/redoc.html"

    @staticmethod
    def _redoc_standalone() -> str:
        return reverse("redoc-bundle")
