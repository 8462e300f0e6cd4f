"""The submission endpoints: storing, versioning, permissions, bad input, final submit."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from exams.lifecycle import SessionStatus
from exams.models import Exam, ExamSession, Problem
from exams.services import session_terminate
from submissions.models import CodeSubmission

from .conftest import FINAL_URL, LIST_URL, SUBMIT_URL

pytestmark = pytest.mark.django_db

# Trailing spaces, tabs, CRLF and LF mixed, non-ASCII, no final newline: all must survive.
AWKWARD_CODE = "def f(x):\t \r\n    return 'héllo ✓'  \n\n\n# fin   "


def error_code(response) -> str:  # noqa: ANN001
    return response.json()["error"]["code"]


def test_submit_stores_the_code_byte_for_byte(candidate, session, problems, client_for, submit):
    response = submit(client_for(candidate), session, problems[0], AWKWARD_CODE)

    assert response.status_code == 201, response.content
    body = response.json()
    data = AWKWARD_CODE.encode("utf-8")
    assert body["version"] == 1
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    assert body["size"] == len(data)
    assert body["language"] == "python"
    assert body["is_final"] is False
    stored = CodeSubmission.objects.get(pk=body["id"])
    assert stored.code.encode("utf-8") == data
    assert stored.session_id == session.pk and stored.problem_id == problems[0].pk


def test_versions_count_per_session_and_problem(
    candidate, other_candidate, exam, session, problems, client_for, submit, start_session
):
    client = client_for(candidate)
    versions = [
        submit(client, session, problems[0], f"v = {n}\n").json()["version"] for n in range(3)
    ]
    other_problem = submit(client, session, problems[1], "x = 1\n").json()["version"]
    other_session, _ = start_session(other_candidate, exam)
    someone_else = submit(client_for(other_candidate), other_session, problems[0], "y\n")

    assert versions == [1, 2, 3]
    assert other_problem == 1
    assert someone_else.json()["version"] == 1


def test_language_aliases_are_stored_canonically(candidate, session, problems, client_for, submit):
    response = submit(client_for(candidate), session, problems[0], "let x = 1;\n", language="JS")

    assert response.status_code == 201
    assert response.json()["language"] == "javascript"


def test_multipart_file_upload_keeps_exact_bytes(candidate, session, problems, client_for):
    data = AWKWARD_CODE.encode("utf-8")
    upload = SimpleUploadedFile("solution.py", data, content_type="text/x-python")

    response = client_for(candidate).post(
        SUBMIT_URL,
        {"session_id": str(session.pk), "problem_id": problems[0].pk, "code": upload},
        format="multipart",
    )

    assert response.status_code == 201, response.content
    assert CodeSubmission.objects.get().code.encode("utf-8") == data


def test_multipart_text_field_keeps_exact_bytes(candidate, session, problems, client_for):
    response = client_for(candidate).post(
        SUBMIT_URL,
        {"session_id": str(session.pk), "problem_id": problems[0].pk, "code": AWKWARD_CODE},
        format="multipart",
    )

    assert response.status_code == 201, response.content
    assert CodeSubmission.objects.get().code == AWKWARD_CODE


def test_base64_code_is_accepted(candidate, session, problems, client_for):
    encoded = base64.b64encode(AWKWARD_CODE.encode("utf-8")).decode("ascii")
    response = client_for(candidate).post(
        SUBMIT_URL,
        {"session_id": str(session.pk), "problem_id": problems[0].pk, "code_base64": encoded},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert CodeSubmission.objects.get().code == AWKWARD_CODE


# --- bad input: a clear 4xx and nothing stored --------------------------------------------


def _multipart_raw(fields: dict[str, bytes | str], boundary: str = "XyZboundary") -> bytes:
    """A multipart body whose text parts carry arbitrary bytes (Django's client encodes UTF-8)."""
    parts = []
    for name, value in fields.items():
        raw = value if isinstance(value, bytes) else value.encode("ascii")
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + raw
            + b"\r\n"
        )
    return b"".join(parts) + f"--{boundary}--\r\n".encode()


LATIN1_CODE = "print('caf\xe9')\n".encode("latin-1")


@pytest.mark.parametrize("how", ["file", "text_field", "base64", "json_surrogate"])
def test_code_that_is_not_utf8_is_refused_clearly(candidate, session, problems, client_for, how):
    client = client_for(candidate)
    ids = {"session_id": str(session.pk), "problem_id": str(problems[0].pk)}
    if how == "file":
        upload = SimpleUploadedFile("latin1.py", LATIN1_CODE)
        response = client.post(SUBMIT_URL, {**ids, "code": upload}, format="multipart")
    elif how == "text_field":
        response = client.generic(
            "POST",
            SUBMIT_URL,
            _multipart_raw({**ids, "code": LATIN1_CODE}),
            content_type="multipart/form-data; boundary=XyZboundary",
        )
    elif how == "base64":
        encoded = base64.b64encode(LATIN1_CODE).decode("ascii")
        response = client.post(SUBMIT_URL, {**ids, "code_base64": encoded}, format="json")
    else:
        # JSON itself is UTF-8, but an escaped lone surrogate is a string with no UTF-8 form.
        body = json.dumps({**ids, "code": "x = '\ud800'\n"})
        response = client.generic("POST", SUBMIT_URL, body, content_type="application/json")

    assert response.status_code == 400, response.content
    assert error_code(response) == "invalid_encoding"
    assert "UTF-8" in response.json()["error"]["message"]
    assert not CodeSubmission.objects.exists()


def test_invalid_utf8_bytes_in_a_json_body_are_a_malformed_request(
    candidate, session, problems, client_for
):
    body = (
        b'{"session_id": "'
        + str(session.pk).encode()
        + b'", "problem_id": '
        + str(problems[0].pk).encode()
        + b', "code": "caf\xe9"}'
    )
    response = client_for(candidate).generic(
        "POST", SUBMIT_URL, body, content_type="application/json"
    )

    assert response.status_code == 400
    assert error_code(response) == "malformed_request"
    assert not CodeSubmission.objects.exists()


def test_oversized_code_is_413(candidate, session, problems, client_for, submit, settings):
    settings.SUBMISSION_CODE_MAX_BYTES = 1000
    client = client_for(candidate)

    too_big = submit(client, session, problems[0], "é" * 501)  # 1002 bytes, 501 characters
    exact = submit(client, session, problems[0], "x" * 1000)

    assert too_big.status_code == 413
    assert error_code(too_big) == "code_too_large"
    assert too_big.json()["error"]["details"] == {"limit": 1000, "size": 1002}
    assert exact.status_code == 201
    assert CodeSubmission.objects.count() == 1


def test_oversized_upload_is_413(candidate, session, problems, client_for, settings):
    settings.SUBMISSION_CODE_MAX_BYTES = 100
    upload = SimpleUploadedFile("big.py", b"#" * 101)
    response = client_for(candidate).post(
        SUBMIT_URL,
        {"session_id": str(session.pk), "problem_id": problems[0].pk, "code": upload},
        format="multipart",
    )

    assert response.status_code == 413
    assert error_code(response) == "code_too_large"
    assert not CodeSubmission.objects.exists()


def test_body_over_the_api_limit_is_413(candidate, session, problems, client_for, submit):
    response = submit(client_for(candidate), session, problems[0], "x" * (2 * 1024 * 1024))

    assert response.status_code == 413
    assert not CodeSubmission.objects.exists()


def test_unknown_language_is_400(candidate, session, problems, client_for, submit):
    response = submit(client_for(candidate), session, problems[0], "x", language="cobol-2099")

    assert response.status_code == 400
    assert error_code(response) == "unknown_language"
    assert "python" in response.json()["error"]["details"]["supported"]
    assert not CodeSubmission.objects.exists()


def test_problem_of_another_exam_is_400(candidate, session, client_for, submit):
    other_exam = Exam.objects.create(title="Other")
    foreign = Problem.objects.create(exam=other_exam, title="P", statement="s")

    response = submit(client_for(candidate), session, foreign, "x = 1\n")
    missing = client_for(candidate).post(
        SUBMIT_URL,
        {"session_id": str(session.pk), "problem_id": 999999, "code": "x"},
        format="json",
    )

    assert response.status_code == 400
    assert error_code(response) == "problem_not_in_exam"
    assert missing.status_code == 400
    assert not CodeSubmission.objects.exists()


def test_another_candidates_session_is_404(other_candidate, session, problems, client_for, submit):
    response = submit(client_for(other_candidate), session, problems[0], "x = 1\n")

    assert response.status_code == 404
    assert not CodeSubmission.objects.exists()


def test_unknown_session_is_404(candidate, problems, client_for):
    response = client_for(candidate).post(
        SUBMIT_URL,
        {
            "session_id": "00000000-0000-0000-0000-000000000000",
            "problem_id": problems[0].pk,
            "code": "x",
        },
        format="json",
    )
    assert response.status_code == 404


def test_submit_after_the_session_ended_is_409(
    candidate, proctor, session, problems, client_for, submit
):
    client = client_for(candidate)
    submit(client, session, problems[0], "first\n")
    session_terminate(session=session, actor=proctor, reason="test")
    # Termination revoked the old token; a fresh sign-in still cannot submit.
    response = submit(client_for(candidate), session, problems[0], "second\n")

    assert response.status_code == 409
    assert error_code(response) == "session_not_active"
    assert list(CodeSubmission.objects.values_list("code", flat=True)) == ["first\n"]


def test_submit_after_the_deadline_is_409_and_expires_the_session(
    candidate, session, problems, client_for, submit
):
    ExamSession.objects.filter(pk=session.pk).update(ends_at=timezone.now() - timedelta(seconds=1))

    response = submit(client_for(candidate), session, problems[0], "late\n")

    assert response.status_code == 409
    session.refresh_from_db()
    assert session.status == SessionStatus.EXPIRED
    assert not CodeSubmission.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"problem_id": 1, "code": "x"},
        {"session_id": "not-a-uuid", "problem_id": 1, "code": "x"},
        {"session_id": "00000000-0000-0000-0000-000000000000", "problem_id": 1},
        {
            "session_id": "00000000-0000-0000-0000-000000000000",
            "problem_id": 1,
            "code": "x",
            "code_base64": "eA==",
        },
        {"session_id": "00000000-0000-0000-0000-000000000000", "problem_id": 1, "code": 5},
        {
            "session_id": "00000000-0000-0000-0000-000000000000",
            "problem_id": 1,
            "code_base64": "%%",
        },
    ],
)
def test_malformed_submit_bodies_are_400(candidate, client_for, body):
    response = client_for(candidate).post(SUBMIT_URL, body, format="json")

    assert response.status_code == 400
    assert error_code(response) == "invalid"


def test_nul_characters_are_refused(candidate, session, problems, client_for, submit):
    response = submit(client_for(candidate), session, problems[0], "x = 1\x00\n")

    assert response.status_code == 400
    assert error_code(response) == "invalid_code"


def test_urlencoded_forms_are_refused(candidate, session, problems, client_for):
    response = client_for(candidate).post(
        SUBMIT_URL,
        f"session_id={session.pk}&problem_id={problems[0].pk}&code=x",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 415
    assert error_code(response) == "unsupported_media_type"
    assert not CodeSubmission.objects.exists()


# --- permissions ------------------------------------------------------------------------


def test_anonymous_requests_are_401(api_client, session):
    assert api_client.post(SUBMIT_URL, {}, format="json").status_code == 401
    assert api_client.get(LIST_URL).status_code == 401
    assert api_client.post(FINAL_URL, {}, format="json").status_code == 401


def test_reviewers_cannot_submit_for_a_candidate(proctor, session, problems, client_for, submit):
    response = submit(client_for(proctor), session, problems[0], "x = 1\n")
    final = client_for(proctor).post(FINAL_URL, {"session_id": str(session.pk)}, format="json")

    assert response.status_code == 403
    assert final.status_code == 403
    session.refresh_from_db()
    assert session.status == SessionStatus.IN_PROGRESS


# --- listing ----------------------------------------------------------------------------


@pytest.fixture
def two_candidates_submitted(
    candidate, other_candidate, exam, session, problems, client_for, submit, start_session
):
    other_session, _ = start_session(other_candidate, exam)
    alice, bob = client_for(candidate), client_for(other_candidate)
    submit(alice, session, problems[0], "alice 1\n")
    submit(alice, session, problems[0], "alice 2\n")
    submit(alice, session, problems[1], "alice p2\n")
    submit(bob, other_session, problems[0], "bob 1\n")
    return session, other_session


def test_candidates_list_only_their_own(
    candidate, other_candidate, two_candidates_submitted, client_for
):
    alice = client_for(candidate).get(LIST_URL).json()
    bob = client_for(other_candidate).get(LIST_URL).json()
    peeking = client_for(other_candidate).get(LIST_URL, {"candidate_id": candidate.pk}).json()

    assert alice["count"] == 3
    assert {item["candidate_id"] for item in alice["results"]} == {candidate.pk}
    assert "code" not in alice["results"][0]
    assert bob["count"] == 1
    assert peeking["count"] == 0


def test_reviewers_list_all_with_filters(
    proctor, candidate, other_candidate, exam, problems, two_candidates_submitted, client_for
):
    client = client_for(proctor)

    everything = client.get(LIST_URL).json()
    by_candidate = client.get(LIST_URL, {"candidate_id": other_candidate.pk}).json()
    by_problem = client.get(LIST_URL, {"problem_id": problems[0].pk}).json()
    by_exam = client.get(LIST_URL, {"exam_id": exam.pk}).json()
    other_exam = client.get(LIST_URL, {"exam_id": exam.pk + 1000}).json()
    latest = client.get(LIST_URL, {"problem_id": problems[0].pk, "latest": "true"}).json()
    paged = client.get(LIST_URL, {"page_size": 2}).json()

    assert everything["count"] == 4
    assert by_candidate["count"] == 1
    assert by_problem["count"] == 3
    assert by_exam["count"] == 4
    assert other_exam["count"] == 0
    assert sorted(item["version"] for item in latest["results"]) == [1, 2]
    assert len(paged["results"]) == 2 and paged["next"]


def test_bad_filters_are_400(proctor, client_for):
    response = client_for(proctor).get(LIST_URL, {"exam_id": "abc"})

    assert response.status_code == 400


def test_problem_listing_includes_code(
    candidate, proctor, problems, two_candidates_submitted, client_for
):
    own = client_for(candidate).get(f"{LIST_URL}/{problems[0].pk}").json()
    everyone = client_for(proctor).get(f"{LIST_URL}/{problems[0].pk}").json()
    missing = client_for(candidate).get(f"{LIST_URL}/999999")

    assert [item["code"] for item in own["results"]] == ["alice 2\n", "alice 1\n"]
    assert everyone["count"] == 3
    assert missing.status_code == 404


# --- final submit -----------------------------------------------------------------------


def test_final_submit_closes_the_session_and_marks_final_versions(
    candidate, session, problems, client_for, submit
):
    client = client_for(candidate)
    submit(client, session, problems[0], "one\n")
    latest = submit(client, session, problems[0], "two\n").json()

    response = client.post(FINAL_URL, {"session_id": str(session.pk)}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "submitted"
    assert body["session_id"] == str(session.pk)
    assert [s["id"] for s in body["final_submissions"]] == [latest["id"]]
    session.refresh_from_db()
    assert session.status == SessionStatus.SUBMITTED
    assert session.transitions.filter(to_status=SessionStatus.SUBMITTED).count() == 1
    assert list(CodeSubmission.objects.filter(is_final=True).values_list("code", flat=True)) == [
        "two\n"
    ]


def test_repeated_final_submit_answers_the_same(candidate, session, problems, client_for, submit):
    client = client_for(candidate)
    submit(client, session, problems[0], "code\n")

    first = client.post(FINAL_URL, {"session_id": str(session.pk)}, format="json")
    second = client.post(FINAL_URL, {"session_id": str(session.pk)}, format="json")

    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert session.transitions.filter(to_status=SessionStatus.SUBMITTED).count() == 1


def test_submissions_after_final_submit_are_409(candidate, session, problems, client_for, submit):
    client = client_for(candidate)
    submit(client, session, problems[0], "final\n")
    client.post(FINAL_URL, {"session_id": str(session.pk)}, format="json")

    late = submit(client, session, problems[0], "sneaky\n")

    assert late.status_code == 409
    assert error_code(late) == "session_not_active"
    assert CodeSubmission.objects.count() == 1


def test_final_submit_of_someone_elses_session_is_404(other_candidate, session, client_for):
    response = client_for(other_candidate).post(
        FINAL_URL, {"session_id": str(session.pk)}, format="json"
    )

    assert response.status_code == 404
    session.refresh_from_db()
    assert session.status == SessionStatus.IN_PROGRESS


def test_final_submit_of_a_terminated_session_is_409(candidate, proctor, session, client_for):
    session_terminate(session=session, actor=proctor, reason="test")

    response = client_for(candidate).post(FINAL_URL, {"session_id": str(session.pk)}, format="json")

    assert response.status_code == 409
    session.refresh_from_db()
    assert session.status == SessionStatus.TERMINATED


def test_final_submit_after_the_deadline_is_409_expired(
    candidate, session, problems, client_for, submit
):
    submit(client_for(candidate), session, problems[0], "in time\n")
    ExamSession.objects.filter(pk=session.pk).update(ends_at=timezone.now() - timedelta(seconds=1))

    response = client_for(candidate).post(FINAL_URL, {"session_id": str(session.pk)}, format="json")

    assert response.status_code == 409
    session.refresh_from_db()
    assert session.status == SessionStatus.EXPIRED
    # The version that counts is still recorded.
    assert CodeSubmission.objects.get().is_final


def test_ending_the_exam_another_way_also_marks_final_versions(
    candidate, start_session, exam, problems, client_for, submit
):
    session, token = start_session(candidate, exam)
    client = client_for(candidate)
    submit(client, session, problems[0], "a\n")
    submit(client, session, problems[1], "b1\n")
    submit(client, session, problems[1], "b2\n")

    response = client.post(f"/api/auth/end-exam/{token}")

    assert response.status_code == 200
    assert sorted(CodeSubmission.objects.filter(is_final=True).values_list("code", flat=True)) == [
        "a\n",
        "b2\n",
    ]


def test_ids_beyond_64_bits_are_400_not_a_database_error(candidate, session, proctor, client_for):
    submitted = client_for(candidate).post(
        SUBMIT_URL,
        {"session_id": str(session.pk), "problem_id": 2**64, "code": "x"},
        format="json",
    )
    listed = client_for(proctor).get(LIST_URL, {"exam_id": 2**64})
    problem = client_for(proctor).get(f"{LIST_URL}/{2**64}")

    assert submitted.status_code == 400
    assert listed.status_code == 400
    assert problem.status_code == 404


@pytest.mark.parametrize("url", [SUBMIT_URL, FINAL_URL])
def test_absurdly_nested_json_is_a_400_not_a_crash(candidate, session, client_for, url):
    nested = "[" * 50_000 + "]" * 50_000
    response = client_for(candidate).generic(
        "POST", url, f'{{"code": {nested}}}', content_type="application/json"
    )

    assert response.status_code == 400
    assert error_code(response) == "malformed_request"
    assert not CodeSubmission.objects.exists()
