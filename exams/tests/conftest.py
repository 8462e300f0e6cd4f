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
def scenario(exam, candidate, other_candidate, start_session):  # noqa: ANN001, ANN201
    from exams.tests.dashboard_scenario import build

    return build(
        exam=exam,
        candidate=candidate,
        other_candidate=other_candidate,
        start_session=start_session,
    )
