"""The candidate's exam page: one HTML document; everything else happens through the JWT API."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .policy import DEFAULT_POLICY


def _content_security_policy(request: HttpRequest, style_nonce: str) -> str:
    # Every asset is served from this origin; the websocket goes back to the same host. The
    # code editor (CodeMirror) writes its styles into one <style> element carrying the nonce.
    scheme = "wss" if request.is_secure() else "ws"
    host = request.get_host()
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            f"style-src 'self' 'nonce-{style_nonce}'",
            "img-src 'self' data: blob:",
            "media-src 'self' blob: mediastream:",
            f"connect-src 'self' {scheme}://{host}",
            "worker-src 'self' blob:",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'self'",
        ]
    )


@never_cache
@require_GET
def exam_page(request: HttpRequest) -> HttpResponse:
    """Serve the exam page. No Django login: the page signs in with the JWT API itself."""
    retention_days = settings.MEDIA_RETENTION_DAYS
    style_nonce = secrets.token_urlsafe(18)
    context = {
        "retention_days": retention_days,
        # The analysis settings decide whether media that is not evidence is deleted at once.
        "keep_non_evidence_media": getattr(settings, "ANALYSIS_KEEP_NON_EVIDENCE_MEDIA", False),
        "page_config": {
            "apiBase": "/api",
            "retentionDays": retention_days,
            "styleNonce": style_nonce,
            "defaultPolicy": {
                key: DEFAULT_POLICY[key]
                for key in ("frame_interval_s", "audio_chunk_s", "heartbeat_timeout_s")
            },
        },
    }
    response = render(request, "exam/page.html", context)
    response["Content-Security-Policy"] = _content_security_policy(request, style_nonce)
    response["Permissions-Policy"] = "camera=(self), microphone=(self), fullscreen=(self)"
    response["Referrer-Policy"] = "no-referrer"
    return response
