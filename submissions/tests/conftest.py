from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

SUBMIT_URL = "/api/submissions/submit"
FINAL_URL = "/api/submissions/final-submit"
LIST_URL = "/api/submissions/submissions"


@pytest.fixture
def problems(exam) -> list:  # noqa: ANN001
    return list(exam.problems.order_by("order"))


@pytest.fixture
def submit() -> Callable[..., Any]:
    """POST a JSON submission: submit(client, session, problem, code, **more fields)."""

    def post(client: APIClient, session, problem, code: str, **extra: Any):  # noqa: ANN001, ANN202
        body = {"session_id": str(session.pk), "problem_id": problem.pk, "code": code, **extra}
        return client.post(SUBMIT_URL, body, format="json")

    return post
