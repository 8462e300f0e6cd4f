"""Health, docs, the error shape, production settings and log redaction."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings

from proctoring_site.logging import RedactSecretsFilter, redact

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/health/", "/api/health/"])
def test_health_reports_dependencies(client, path) -> None:
    response = client.get(path)
    assert response.status_code == 200
    body = response.json()
    assert body["checks"]["database"] == "ok"
    expected_redis = "ok" if settings.REDIS_URL else "not_configured"
    assert body["checks"]["redis"] == expected_redis


@pytest.mark.django_db
def test_health_is_503_when_redis_is_down(client) -> None:
    with override_settings(REDIS_URL="redis://127.0.0.1:1/0"):
        response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"].startswith("error")


@pytest.mark.django_db
def test_health_is_503_when_database_is_down(client, monkeypatch) -> None:
    def broken_cursor(*args, **kwargs):
        raise connection.OperationalError("database is gone")

    response_ok = client.get("/health/")
    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/health/")
    assert response_ok.status_code == 200
    assert response.status_code == 503
    assert response.json()["checks"]["database"].startswith("error")


@pytest.mark.django_db
def test_openapi_schema_lists_the_seed_endpoints(client) -> None:
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in [
        "/api/auth/register",
        "/api/auth/login",
        "/api/auth/start-exam/{candidate_id}",
        "/api/auth/end-exam/{session_token}",
        "/api/admin/stats",
        "/api/admin/exam-sessions/{session_id}/terminate",
    ]:
        assert path in paths


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_docs_use_only_local_assets(client, path) -> None:
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    # Swagger UI from the sidecar's static files; Redoc's bundle through /redoc (its CDN logo
    # inlined, see proctoring_site/api_docs.py).
    assert "/static/drf_spectacular_sidecar/" in html or "/redoc/redoc.standalone.js" in html
    assert "cdn" not in html.lower()
    assert "googleapis" not in html


@pytest.mark.django_db
def test_unknown_api_path_is_json_404(client) -> None:
    response = client.get("/api/does-not-exist")
    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "not_found", "message": "Not found.", "details": {}}
    }


def test_production_settings_pass_the_deploy_check() -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "proctoring_site.settings.production",
        "SECRET_KEY": "x" * 10 + "a-long-random-production-secret-0123456789-abcdefghijkl",
        "ALLOWED_HOSTS": "proctoring.example.com",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key() -> None:
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env["DJANGO_SETTINGS_MODULE"] = "proctoring_site.settings.production"
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_log_lines_never_carry_tokens_or_passwords() -> None:
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
    line = f"POST /api/auth/end-exam/abcDEF123 password=hunter2 Bearer {jwt}"
    cleaned = redact(line)
    assert "abcDEF123" not in cleaned
    assert "hunter2" not in cleaned
    assert jwt not in cleaned
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "Not Found: %s", (line,), None)
    RedactSecretsFilter().filter(record)
    assert "abcDEF123" not in record.getMessage()


@pytest.mark.django_db
def test_openapi_schema_is_valid(tmp_path) -> None:
    from django.core.management import call_command

    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--file", str(out))
    assert "openapi:" in out.read_text()


@pytest.mark.django_db
def test_access_log_redacts_the_session_token(client, caplog) -> None:
    caplog.set_level(logging.INFO, logger="proctoring.access")
    client.post("/api/auth/end-exam/SECRET-session-token-value")
    lines = [r for r in caplog.records if r.name == "proctoring.access"]
    assert lines, "no access log line"
    handler_filter = RedactSecretsFilter()
    for record in lines:
        handler_filter.filter(record)
        assert "SECRET-session-token-value" not in record.getMessage()
