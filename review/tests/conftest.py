from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User


@pytest.fixture
def web_client_for():
    """A Django test client signed in (session cookie) as ``user``, as in the browser."""

    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def scenario(exam, candidate, other_candidate, start_session, django_capture_on_commit_callbacks):  # noqa: ANN001, ANN201
    from review.tests.dashboard_scenario import build

    # As after the requests that built it: committed, so its after-commit work (risk) ran.
    with django_capture_on_commit_callbacks(execute=True):
        return build(
            exam=exam,
            candidate=candidate,
            other_candidate=other_candidate,
            start_session=start_session,
        )


@pytest.fixture(scope="session")
def analyzed_frames():  # noqa: ANN201
    """Real frame-pipeline results on the shared media under three capture conditions."""
    from conftest import shared_media_dir
    from review.tests.risk_verdicts import analyze_conditions

    media = shared_media_dir()
    if not (media / "MANIFEST.tsv").exists():
        pytest.skip(f"shared media not found at {media} (set SHARED_MEDIA_DIR)")
    return analyze_conditions(media)
