"""No secret in any log line, under any settings: a live daphne's own captured output."""

from __future__ import annotations

import json
import logging
import secrets
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from proctoring_site.logging import RedactingFormatter
from proctoring_site.testing.live_server import (
    BASE_DIR,
    LiveServer,
    _wait_until_serving,
    free_port,
    subprocess_environment,
)

SETTINGS = {
    # `make run`: DEBUG on, where Django's own console handler used to print request paths.
    "local-debug": {"DJANGO_SETTINGS_MODULE": "proctoring_site.settings.local", "DEBUG": "1"},
    "test": {"DJANGO_SETTINGS_MODULE": "proctoring_site.settings.test"},
    "production": {
        "DJANGO_SETTINGS_MODULE": "proctoring_site.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "SECURE_SSL_REDIRECT": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "DEBUG",
    },
}


def _request(url: str, *, method: str = "GET", body: dict | None = None, token: str = "") -> int:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", list(SETTINGS))
def test_live_server_output_never_carries_a_secret(
    name, tmp_path, candidate, exam, start_session
) -> None:
    from conftest import access_token_for

    _session, session_token = start_session(candidate, exam)
    jwt = access_token_for(candidate)
    typed_password = "Tr0ub4dor-typed-into-username"

    port = free_port()
    log_path = tmp_path / "daphne.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "daphne", "--access-log", "/dev/null", "-b", "127.0.0.1"]
            + ["-p", str(port), "proctoring_site.asgi:application"],
            cwd=BASE_DIR,
            env=subprocess_environment(**SETTINGS[name]),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = LiveServer(url=f"http://127.0.0.1:{port}", process=process, log_path=log_path)
    try:
        _wait_until_serving(server)
        # 401 with the session token in the path (django.request "Unauthorized: ...").
        assert _request(f"{server.url}/api/auth/end-exam/{session_token}", method="POST") == 401
        # 404 with a JWT in the path, and the JWT in the header.
        assert _request(f"{server.url}/api/nothing/{jwt}", token=jwt) == 404
        # A password typed into the username field.
        login = {"username": typed_password, "password": "whatever-else-1"}
        assert _request(f"{server.url}/api/auth/login", method="POST", body=login) == 401
        # A token in a query string.
        assert _request(f"{server.url}/api/auth/me?token={jwt}", token="garbage") == 401
    finally:
        server.stop()

    output = server.log()
    assert "Unauthorized" in output or "end-exam" in output, output[-2000:]
    assert "failed sign-in" in output, output[-2000:]
    for secret in (session_token, jwt, typed_password):
        assert secret not in output, f"{name}: a secret reached the log:\n{output[-3000:]}"


def test_the_formatter_redacts_tracebacks_too() -> None:
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
    try:
        raise ValueError(f"bad token {jwt}")
    except ValueError:
        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "boom %s", ("password=hunter2",), sys.exc_info()
        )
    line = RedactingFormatter("%(message)s").format(record)
    assert "ValueError" in line
    assert jwt not in line
    assert "hunter2" not in line
