"""/docs and /redoc in a real browser: everything from this server, no CSP or console errors."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("path", "ready"), [("/docs", ".swagger-ui .info"), ("/redoc", "h1")])
def test_docs_render_from_this_server_only(live_asgi_server, page, path, ready) -> None:
    errors: list[str] = []
    elsewhere: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "request",
        lambda r: (
            None
            if r.url.startswith((live_asgi_server.url, "data:", "blob:"))
            else elsewhere.append(r.url)
        ),
    )
    page.on(
        "response",
        lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None,
    )
    page.goto(f"{live_asgi_server.url}{path}")
    page.wait_for_selector(ready, timeout=30_000)
    page.wait_for_load_state("networkidle")
    assert "Exam Proctoring API" in page.content()
    assert elsewhere == []
    assert errors == []
