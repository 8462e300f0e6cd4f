"""Shared fixtures: users of each role, an exam with problems, a running session, API clients."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from accounts.models import CandidateProfile, User
from accounts.services import proctor_create
from accounts.tokens import RevocableRefreshToken

pytest_plugins = ["proctoring_site.testing.live_server", "proctoring_site.testing.worker"]

PASSWORD = "correct-horse-battery-9"


def shared_media_dir() -> Path:
    """../shared/media beside the repository, or SHARED_MEDIA_DIR."""
    default = Path(__file__).resolve().parent.parent / "shared" / "media"
    return Path(os.environ.get("SHARED_MEDIA_DIR", default))


@pytest.fixture
def shared_media() -> Path:
    path = shared_media_dir()
    if not (path / "MANIFEST.tsv").exists():
        pytest.skip(f"shared media not found at {path} (set SHARED_MEDIA_DIR)")
    return path


def _candidate(username: str) -> User:
    user = User.objects.create_user(
        username=username, email=f"{username}@example.com", password=PASSWORD
    )
    CandidateProfile.objects.create(user=user, full_name=username.title())
    return user


@pytest.fixture
def candidate(db) -> User:
    return _candidate("alice")


@pytest.fixture
def other_candidate(db) -> User:
    return _candidate("bob")


@pytest.fixture
def proctor(db) -> User:
    return proctor_create(username="proctor", email="proctor@example.com", password=PASSWORD)


@pytest.fixture
def admin_user(db) -> User:
    return proctor_create(username="root", email="root@example.com", password=PASSWORD, admin=True)


@pytest.fixture
def exam(db):
    from exams.models import Exam, Problem

    exam = Exam.objects.create(title="Algorithms", duration_minutes=60)
    Problem.objects.create(
        exam=exam,
        title="Two sum",
        statement="Find two numbers.",
        starter_code="def two_sum(numbers, target):\n    pass\n",
        language="python",
        order=1,
    )
    Problem.objects.create(
        exam=exam, title="Reverse", statement="Reverse a list.", language="python", order=2
    )
    return exam


@pytest.fixture
def start_session() -> Callable:
    """Start a session for a candidate through the service; returns (session, token)."""
    from exams.services import session_start

    def start(user: User, exam, **kwargs):
        return session_start(candidate=user, exam=exam, consent=True, **kwargs)

    return start


@pytest.fixture
def session(candidate, exam, start_session):
    session, _token = start_session(candidate, exam)
    return session


def access_token_for(user: User) -> str:
    user.refresh_from_db(fields=["token_generation"])
    return str(RevocableRefreshToken.for_user(user).access_token)


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def client_for() -> Callable[[User], APIClient]:
    """An APIClient authenticated with a real JWT for ``user``."""

    def make(user: User) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token_for(user)}")
        return client

    return make


def pytest_collection_modifyitems(config, items) -> None:
    """Run browser tests last: Playwright's loop must not precede the async websocket tests."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
