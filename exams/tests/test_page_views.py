"""The exam page document: served without a Django login, with its settings and headers."""

from __future__ import annotations

import json

import pytest
from django.test import Client


@pytest.fixture
def page_response(db, settings):  # noqa: ANN001, ANN201
    settings.MEDIA_RETENTION_DAYS = 12
    return Client().get("/exam/")


def test_exam_page_is_served_without_a_login(page_response) -> None:  # noqa: ANN001
    assert page_response.status_code == 200
    assert page_response["Content-Type"].startswith("text/html")
    assert "no-cache" in page_response["Cache-Control"]


def test_exam_page_states_the_retention_from_settings(page_response) -> None:  # noqa: ANN001
    html = page_response.content.decode()
    assert '<strong id="retention-days">12 days</strong>' in html
    config = json.loads(html.split('id="page-config" type="application/json">')[1].split("<")[0])
    assert config["retentionDays"] == 12
    assert config["apiBase"] == "/api"


def test_exam_page_loads_only_local_assets(page_response) -> None:  # noqa: ANN001
    html = page_response.content.decode()
    assert "http://" not in html and "https://" not in html and "//cdn" not in html
    assert "/static/exam/app.js" in html
    csp = page_response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "connect-src 'self' ws://testserver" in csp
    assert "frame-ancestors 'none'" in csp
    assert page_response["Permissions-Policy"].startswith("camera=(self)")


def test_exam_page_only_answers_get(db) -> None:  # noqa: ANN001
    assert Client().post("/exam/").status_code == 405


def test_exam_page_static_modules_exist(settings) -> None:  # noqa: ANN001
    from django.contrib.staticfiles import finders

    for name in ("app.js", "api.js", "event-queue.js", "media.js", "pcm-worklet.js", "exam.css"):
        assert finders.find(f"exam/{name}"), name
