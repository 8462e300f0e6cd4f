"""Versioning and final submit under concurrent requests (real threads, real transactions).

Run on SQLite by default and on PostgreSQL with DATABASE_URL set: the two databases collide
differently (SQLite refuses a second writer, PostgreSQL waits on the row lock), and both must
end with consecutive versions, one transition and no lost or late submissions.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from exams.lifecycle import SessionStatus
from submissions.models import CodeSubmission

from .conftest import FINAL_URL, SUBMIT_URL

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` for i in range(count) in threads released at the same moment."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def worker(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = work(index)
        except Exception as exc:  # noqa: BLE001 - reported by the assertions below
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def _post(client, url: str, body: dict[str, Any]) -> tuple[int, Any]:  # noqa: ANN001
    response = client.post(url, body, format="json")
    return response.status_code, response.json()


def test_concurrent_submissions_get_consecutive_versions(candidate, session, exam, client_for):
    problem = exam.problems.order_by("order").first()
    clients = [client_for(candidate) for _ in range(8)]

    results = run_together(
        8,
        lambda i: _post(
            clients[i],
            SUBMIT_URL,
            {"session_id": str(session.pk), "problem_id": problem.pk, "code": f"v{i}\n"},
        ),
    )

    assert [status for status, _ in results] == [201] * 8, results
    assert sorted(body["version"] for _, body in results) == list(range(1, 9))
    stored = CodeSubmission.objects.filter(session=session, problem=problem)
    assert sorted(stored.values_list("version", flat=True)) == list(range(1, 9))
    # Each response describes the row stored under its version.
    for _, body in results:
        assert stored.get(version=body["version"]).pk == body["id"]


def test_concurrent_final_submits_all_answer_the_same(candidate, session, exam, client_for):
    problem = exam.problems.order_by("order").first()
    client_for(candidate).post(
        SUBMIT_URL,
        {"session_id": str(session.pk), "problem_id": problem.pk, "code": "done\n"},
        format="json",
    )
    clients = [client_for(candidate) for _ in range(6)]

    results = run_together(
        6, lambda i: _post(clients[i], FINAL_URL, {"session_id": str(session.pk)})
    )

    assert [status for status, _ in results] == [200] * 6, results
    assert all(body == results[0][1] for _, body in results)
    assert results[0][1]["status"] == "submitted"
    session.refresh_from_db()
    assert session.status == SessionStatus.SUBMITTED
    assert session.transitions.filter(to_status=SessionStatus.SUBMITTED).count() == 1
    assert CodeSubmission.objects.filter(session=session, is_final=True).count() == 1


def test_submissions_racing_a_final_submit_are_either_stored_before_it_or_refused(
    candidate, session, exam, client_for
):
    problem = exam.problems.order_by("order").first()
    clients = [client_for(candidate) for _ in range(7)]

    def work(index: int) -> tuple[str, int, Any]:
        if index == 3:
            return ("final", *_post(clients[index], FINAL_URL, {"session_id": str(session.pk)}))
        body = {"session_id": str(session.pk), "problem_id": problem.pk, "code": f"v{index}\n"}
        return ("submit", *_post(clients[index], SUBMIT_URL, body))

    results = run_together(7, work)

    final = [r for r in results if r[0] == "final"]
    submits = [r for r in results if r[0] == "submit"]
    assert final[0][1] == 200, results
    assert {status for _, status, _ in submits} <= {201, 409}, results
    accepted = [body for _, status, body in submits if status == 201]
    refused = [body for _, status, body in submits if status == 409]
    assert all(body["error"]["code"] == "session_not_active" for body in refused)

    session.refresh_from_db()
    stored = CodeSubmission.objects.filter(session=session)
    assert stored.count() == len(accepted)
    assert sorted(stored.values_list("version", flat=True)) == list(range(1, len(accepted) + 1))
    # Nothing was stored after the session ended, and the last accepted version is the final.
    assert all(submission.created_at <= session.ended_at for submission in stored)
    if accepted:
        assert list(stored.filter(is_final=True).values_list("version", flat=True)) == [
            len(accepted)
        ]
        assert [s["version"] for s in final[0][2]["final_submissions"]] == [len(accepted)]
