"""Security headers: one Content-Security-Policy per page family (django-csp's format and
policy builder, applied by ``proctoring_site.middleware.SecurityHeadersMiddleware``), API docs
visibility."""

from __future__ import annotations

from csp.constants import NONE, SELF, UNSAFE_INLINE

from .env import env_bool

_BASE = {
    "default-src": [SELF],
    "frame-ancestors": [NONE],
    "base-uri": [NONE],
    "form-action": [SELF],
    "object-src": [NONE],
}

# Path prefix -> policy (longest prefix wins; "" is the default). ``connect-src`` of the
# families marked in CSP_WEBSOCKET_FAMILIES also gets this host's ws:// or wss:// origin.
CSP_FAMILIES: dict[str, dict[str, list[str]]] = {
    # API answers, health, errors: JSON that loads nothing.
    "": {
        "default-src": [NONE],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "form-action": [NONE],
    },
    # The Django admin and the proctors' dashboard (thumbnails, clips, the live websocket).
    # Django's admin templates still carry a few inline style attributes.
    "/admin/": {
        **_BASE,
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:", "blob:"],
        "media-src": [SELF, "blob:"],
        "connect-src": [SELF],
    },
    # Swagger UI and Redoc, every asset served from here (drf-spectacular-sidecar); both set
    # styles from script, Redoc runs its search in a blob: worker.
    "/docs": {
        **_BASE,
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "worker-src": [SELF, "blob:"],
    },
}
CSP_FAMILIES["/redoc"] = CSP_FAMILIES["/docs"]
CSP_WEBSOCKET_FAMILIES = frozenset({"/admin/"})
# Static files are served by the ASGI app (proctoring_site/asgi_middleware.py), not through
# Django's middleware: they get this policy there.
CSP_STATIC = "default-src 'none'; frame-ancestors 'none'"

# API schema and docs: public outside production; production serves them to signed-in staff
# only unless this says otherwise (production.py).
API_DOCS_PUBLIC = env_bool("API_DOCS_PUBLIC", True)
