"""Security headers on every page family, local-only docs, staff-only docs, strong SECRET_KEY."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request

import pytest
from django.test import Client

from proctoring_site.testing.live_server import BASE_DIR


def _csp(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return dict((part.strip().split(" ", 1) + [""])[:2] for part in header.split(";"))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "family"),
    [
        ("/api/auth/me", "api"),
        ("/api/nothing-here", "api"),
        ("/health/", "api"),
        ("/admin/login/", "admin"),
        ("/docs", "docs"),
        ("/redoc", "docs"),
        ("/exam/", "exam"),
    ],
)
def test_every_page_family_has_a_policy(client, path, family) -> None:
    response = client.get(path)
    policy = _csp(response)
    assert policy["frame-ancestors"] == "'none'"
    assert policy["base-uri"] == "'none'"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "Referrer-Policy" in response
    if family == "api":
        assert policy["default-src"] == "'none'"
    else:
        assert policy["default-src"] == "'self'"
        assert "unsafe-inline" not in policy["script-src"]
    if family == "admin":
        assert "ws://testserver" in policy["connect-src"]


@pytest.mark.django_db
def test_docs_load_nothing_from_elsewhere(client) -> None:
    redoc = client.get("/redoc").content.decode()
    swagger = client.get("/docs").content.decode()
    bundle = client.get("/redoc/redoc.standalone.js").content
    for page in (redoc, swagger):
        assert "fonts.googleapis" not in page
        assert "cdn." not in page
        assert "<script>" not in page  # no inline script
    assert b"Redoc" in bundle
    assert b"cdn.redoc.ly" not in bundle


@pytest.mark.django_db
def test_docs_are_staff_only_unless_public(settings, candidate, proctor, client_for) -> None:
    settings.API_DOCS_PUBLIC = False
    for path in ("/api/schema/", "/docs", "/redoc"):
        assert Client().get(path).status_code in {401, 403}, path
        assert client_for(candidate).get(path).status_code == 403, path
        staff = Client()
        staff.force_login(proctor)
        assert staff.get(path).status_code == 200, path
    settings.API_DOCS_PUBLIC = True
    assert Client().get("/api/schema/").status_code == 200


def _production_starts(secret_key: str | None) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SECRET_KEY", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(DJANGO_SETTINGS_MODULE="proctoring_site.settings.production", ALLOWED_HOSTS="x")
    if secret_key is not None:
        env["SECRET_KEY"] = secret_key
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    "key",
    [
        None,
        "",
        "django-insecure-local-only-change-me-8f3c2a1e9d7b",
        "django-insecure-" + "q8Zr" * 20,
        "short-but-random-Q8zR",
        "a" * 80,
    ],
)
def test_production_refuses_a_weak_or_default_secret_key(key) -> None:
    result = _production_starts(key)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY" in result.stderr


def test_production_starts_with_a_strong_secret_key() -> None:
    result = _production_starts("Vq3" + "x9Lm-Zr7_tY2pW" * 5)
    assert result.returncode == 0, result.stderr


@pytest.mark.integration
def test_static_files_carry_security_headers_on_the_live_server(live_asgi_server) -> None:
    with urllib.request.urlopen(f"{live_asgi_server.url}/static/exam/exam.css") as response:  # noqa: S310
        assert response.status == 200
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
