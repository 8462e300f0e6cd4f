"""The exam page document: served without a Django login, with its settings and headers."""

from __future__ import annotations

import json

import pytest
from django.test import Client


@pytest.fixture
def page_response(db, settings):
    settings.MEDIA_RETENTION_DAYS = 12
    return Client().get("/exam/")


def test_exam_page_is_served_without_a_login(page_response) -> None:
    assert page_response.status_code == 200
    assert page_response["Content-Type"].startswith("text/html")
    assert "no-cache" in page_response["Cache-Control"]


def test_exam_page_states_the_retention_from_settings(page_response) -> None:
    html = page_response.content.decode()
    assert '<strong id="retention-days">12 days</strong>' in html
    config = json.loads(html.split('id="page-config" type="application/json">')[1].split("<")[0])
    assert config["retentionDays"] == 12
    assert config["apiBase"] == "/api"


def test_exam_page_loads_only_local_assets(page_response) -> None:
    html = page_response.content.decode()
    assert "http://" not in html and "https://" not in html and "//cdn" not in html
    assert "/static/exam/app.js" in html
    csp = page_response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "connect-src 'self' ws://testserver" in csp
    assert "frame-ancestors 'none'" in csp
    # Styles: this origin, plus the one <style> element of the code editor with the nonce.
    config = json.loads(html.split('id="page-config" type="application/json">')[1].split("<")[0])
    assert f"style-src 'self' 'nonce-{config['styleNonce']}'" in csp
    assert len(config["styleNonce"]) >= 24
    assert page_response["Permissions-Policy"].startswith("camera=(self)")


def test_exam_page_style_nonce_is_new_for_every_response(db) -> None:
    first, second = Client().get("/exam/"), Client().get("/exam/")
    assert first["Content-Security-Policy"] != second["Content-Security-Policy"]


def test_exam_page_only_answers_get(db) -> None:
    assert Client().post("/exam/").status_code == 405


def test_exam_page_static_modules_exist(settings) -> None:
    from django.contrib.staticfiles import finders

    names = ("app.js", "api.js", "event-queue.js", "media.js", "pcm-worklet.js", "exam.css")
    for name in (
        *names,
        "editor.js",
        "vendor/codemirror.js",
        "banners.js",
        "rules.js",
        "receipt.js",
    ):
        assert finders.find(f"exam/{name}"), name
