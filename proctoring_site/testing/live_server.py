"""Fixtures: a live ASGI server (daphne) on the test database, and a Playwright browser.

``live_asgi_server`` starts ``daphne`` in a subprocess on a free 127.0.0.1 port with the test
settings and the test database (the SQLite file or ``test_<name>`` on PostgreSQL), so pages in
a real browser talk to the same rows the test reads. It uses ``transactional_db``: the rows a
test creates are committed and visible to the server (and to a qcluster worker).

``launch_browser`` starts Debian's Chromium (``/usr/bin/chromium``) headless with a fake camera
and microphone playing files made from ``../shared/media``. Without Chromium the browser tests
skip, unless ``CI=true``, where they fail.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
SCREENSHOT_DIR = BASE_DIR / "artifacts" / "screenshots"
SERVER_START_TIMEOUT_S = 90


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url_for_subprocess() -> str:
    """DATABASE_URL of the test database, for processes started by a test.

    Read after pytest-django created the test database, so NAME is already the test name.
    """
    from django.db import connection

    settings = connection.settings_dict
    engine = settings["ENGINE"]
    if engine.endswith("sqlite3"):
        return f"sqlite:///{Path(settings['NAME']).resolve()}"
    if engine.endswith(("postgresql", "postgis")):
        user = quote(settings.get("USER") or "", safe="")
        password = quote(settings.get("PASSWORD") or "", safe="")
        credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = settings.get("HOST") or "127.0.0.1"
        port = f":{settings['PORT']}" if settings.get("PORT") else ""
        return f"postgres://{credentials}{host}{port}/{quote(settings['NAME'], safe='')}"
    raise RuntimeError(f"no DATABASE_URL form for database engine {engine}")


def subprocess_environment(**overrides: str) -> dict[str, str]:
    """The environment for a server or worker process that shares this test's data.

    Same settings module, the test database, the same MEDIA_ROOT (uploaded frames must be
    readable by the worker) and the same REDIS_URL (channel layer and broker) as this process.
    """
    from django.conf import settings

    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="proctoring_site.settings.test",
        DATABASE_URL=database_url_for_subprocess(),
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        PYTHONUNBUFFERED="1",
        Q_SYNC="0",
    )
    env.update(overrides)
    return env


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen
    log_path: Path
    ws_url: str = field(init=False)

    def __post_init__(self) -> None:
        self.ws_url = self.url.replace("http://", "ws://", 1)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def _wait_until_serving(server: LiveServer) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"daphne exited with {server.process.returncode}:\n{server.log()[-4000:]}"
            )
        try:
            with urllib.request.urlopen(f"{server.url}/health/", timeout=2):  # noqa: S310
                return
        except urllib.error.HTTPError:
            return  # it answers, even if a dependency is unhealthy
        except OSError:
            time.sleep(0.3)
    server.stop()
    raise RuntimeError(
        f"daphne did not answer within {SERVER_START_TIMEOUT_S}s:\n{server.log()[-4000:]}"
    )


@pytest.fixture
def live_asgi_server(transactional_db, tmp_path: Path) -> Iterator[LiveServer]:  # noqa: ANN001
    """daphne serving proctoring_site.asgi on a free port, on the test database.

    Tasks are queued for a worker (Q_SYNC=0): use the ``qcluster_worker`` fixture when the test
    needs them to run. The server's output is in ``server.log()`` (and shown on failure).
    """
    port = free_port()
    log_path = tmp_path / "daphne.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "daphne",
                "-b",
                "127.0.0.1",
                "-p",
                str(port),
                "proctoring_site.asgi:application",
            ],
            cwd=BASE_DIR,
            env=subprocess_environment(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = LiveServer(url=f"http://127.0.0.1:{port}", process=process, log_path=log_path)
    try:
        _wait_until_serving(server)
        yield server
    finally:
        server.stop()


def _chromium_or_skip() -> Path:
    if CHROMIUM.exists():
        return CHROMIUM
    reason = f"Chromium not found at {CHROMIUM} (apt-get install chromium fonts-liberation)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def fake_media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """face.y4m, noface.y4m and speech.wav made from ../shared/media for the fake devices."""
    from .fake_media import fake_media_create, shared_media_dir

    media = shared_media_dir()
    if not (media / "MANIFEST.tsv").exists():
        reason = f"shared media not found at {media} (set SHARED_MEDIA_DIR)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true and {reason}", pytrace=False)
        pytest.skip(reason)
    return fake_media_create(tmp_path_factory.mktemp("fake-media"), media)


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator:
    _chromium_or_skip()
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the test's own ORM calls are
    # still plain synchronous code, so Django's async guard must not refuse them.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        yield playwright


def chromium_args(video: Path, audio: Path, *, grant_media: bool = True) -> list[str]:
    """Chromium's flags; without ``grant_media`` the camera/microphone prompt is refused."""
    args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
        f"--use-file-for-fake-audio-capture={audio}",
    ]
    if not grant_media:
        args.remove("--use-fake-ui-for-media-stream")
    return args


@pytest.fixture
def launch_browser(playwright_instance, fake_media: dict[str, Path]) -> Iterator[Callable]:  # noqa: ANN001
    """``launch_browser(video="face"|"noface"|Path, audio="speech"|Path, grant_media=True)``.

    Returns a Browser whose fake camera plays ``video`` and microphone ``audio``;
    ``grant_media=False`` leaves the permission prompt, which headless Chromium refuses.

    Chromium's fake camera plays one file for the browser's whole life, so a test that needs
    another picture launches another browser. All are closed after the test.
    """
    browsers = []

    def launch(  # noqa: ANN202
        video: str | Path = "face", audio: str | Path = "speech", *, grant_media: bool = True
    ):
        video_path = fake_media[video] if isinstance(video, str) else video
        audio_path = fake_media[audio] if isinstance(audio, str) else audio
        browser = playwright_instance.chromium.launch(
            executable_path=str(_chromium_or_skip()),
            headless=True,
            args=chromium_args(video_path, audio_path, grant_media=grant_media),
        )
        browsers.append(browser)
        return browser

    yield launch
    for browser in browsers:
        browser.close()


@pytest.fixture
def browser(launch_browser):  # noqa: ANN001, ANN201
    """Chromium whose camera shows one frontal face and whose microphone plays speech."""
    return launch_browser()


@pytest.fixture
def page(browser):  # noqa: ANN001, ANN201
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Callable:
    """``screenshot(page, "step-name")`` saves artifacts/screenshots/<test>/<nn>-<step>.png."""
    folder = SCREENSHOT_DIR / re.sub(r"[^\w.-]+", "_", request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    counter = {"n": 0}

    def take(page, name: str) -> Path:  # noqa: ANN001
        counter["n"] += 1
        path = folder / f"{counter['n']:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
