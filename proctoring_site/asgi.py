"""ASGI entry point: HTTP through Django, websockets through Channels' routing."""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proctoring_site.settings.local")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from .asgi_middleware import (  # noqa: E402
    ChunkedBodyLimitMiddleware,
    StaticSecurityHeadersMiddleware,
)
from .db_budget import request_slots_app  # noqa: E402
from .routing import websocket_urlpatterns  # noqa: E402

http_app = django_asgi_app
if settings.SERVE_STATIC:
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    http_app = StaticSecurityHeadersMiddleware(ASGIStaticFilesHandler(django_asgi_app))

application = ProtocolTypeRouter(
    {
        "http": request_slots_app(ChunkedBodyLimitMiddleware(http_app)),
        "websocket": AllowedHostsOriginValidator(URLRouter(websocket_urlpatterns)),
    }
)
