"""Writes for code submissions: save a version, final submit, mark the final versions."""

from __future__ import annotations

import hashlib
import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from accounts.models import User
from exams.lifecycle import SessionStatus
from exams.models import ExamSession, Problem
from exams.selectors import session_require_active
from exams.services import session_expire_if_due, session_transition
from proctoring_site.exceptions import ConflictError, InvalidInputError, PayloadTooLargeError

from .comparison import UnsupportedLanguage, language_canonical, supported_languages
from .models import CodeSubmission

logger = logging.getLogger(__name__)

T = TypeVar("T")


def code_decode(raw: bytes | str) -> str:
    """The submitted code as text, refusing what we could not store byte for byte.

    413 above SUBMISSION_CODE_MAX_BYTES; 400 ``invalid_encoding`` when the bytes are not UTF-8
    (or a JSON string carries a lone surrogate, which has no UTF-8 form); 400 ``invalid_code``
    for NUL characters, which PostgreSQL cannot keep in text.
    """
    if isinstance(raw, str):
        try:
            raw = raw.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise InvalidInputError(
                "The code is not valid UTF-8: it contains a lone surrogate "
                f"(\\u{ord(exc.object[exc.start]):04x}) at character {exc.start}.",
                code="invalid_encoding",
                details={"position": exc.start},
            ) from None
    limit = settings.SUBMISSION_CODE_MAX_BYTES
    if len(raw) > limit:
        raise PayloadTooLargeError(
            f"The code is {len(raw)} bytes; the limit is {limit} bytes.",
            code="code_too_large",
            details={"limit": limit, "size": len(raw)},
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InvalidInputError(
            f"The code is not valid UTF-8: byte 0x{raw[exc.start]:02x} at offset {exc.start} "
            f"(line {line}). Save the file as UTF-8 and submit again.",
            code="invalid_encoding",
            details={"offset": exc.start, "line": line},
        ) from None
    if "\x00" in text:
        raise InvalidInputError(
            "The code contains a NUL character, which is not accepted.",
            code="invalid_code",
            details={"offset": raw.index(b"\x00")},
        )
    return text


def _with_write_retries(operation: Callable[[], T]) -> T:
    """Run ``operation`` (its own atomic block), again when a concurrent request got in the way.

    Two cases are expected and safe to retry because the failed attempt rolled back entirely:
    a version number taken by a parallel request (the unique constraint), and SQLite refusing a
    second writer ("database is locked") where PostgreSQL would have waited on the row lock.
    """
    attempts = max(1, settings.SUBMISSION_WRITE_ATTEMPTS)
    for attempt in range(1, attempts + 1):
        try:
            return operation()
        except (IntegrityError, OperationalError) as exc:
            retryable = isinstance(exc, IntegrityError) or "locked" in str(exc).lower()
            if not retryable or attempt == attempts:
                raise
            logger.info("write collided (%s), attempt %d of %d", exc, attempt, attempts)
            time.sleep(random.uniform(0.01, 0.05) * attempt)
    raise AssertionError("unreachable")  # pragma: no cover


def _lock_active_session(session_id: object) -> ExamSession:
    session = ExamSession.objects.select_for_update().get(pk=session_id)
    session_require_active(session)
    if session.ends_at is not None and session.ends_at <= timezone.now():
        raise ConflictError(
            "The time for this session ran out.",
            code="session_not_active",
            details={"status": SessionStatus.EXPIRED},
        )
    return session


def submission_create(
    *,
    session: ExamSession,
    problem_id: int,
    code: bytes | str,
    language: str | None = None,
) -> CodeSubmission:
    """Store a new version of the candidate's code for a problem of the session's exam.

    Everything is checked before anything is written, so a refused submission changes
    nothing: 409 when the session no longer accepts work, 400 for a problem outside the
    session's exam, for an unknown language or code that is not UTF-8, 413 for oversized
    code. The version is the next one for (session, problem), also under concurrent requests:
    the session row is locked while the number is taken and the database's unique constraint
    backs it (a collision is retried).
    """
    session_require_active(session)
    problem = Problem.objects.filter(pk=problem_id, exam_id=session.exam_id).first()
    if problem is None:
        raise InvalidInputError(
            "This problem is not part of the session's exam.",
            code="problem_not_in_exam",
            details={"problem_id": problem_id},
        )
    try:
        language = language_canonical(language or problem.language)
    except UnsupportedLanguage:
        raise InvalidInputError(
            f"Unknown language {language!r}.",
            code="unknown_language",
            details={"language": language, "supported": supported_languages()},
        ) from None
    text = code_decode(code)
    data = text.encode("utf-8")
    digest = hashlib.sha256(data).hexdigest()

    def store() -> CodeSubmission:
        with transaction.atomic():
            _lock_active_session(session.pk)
            latest = CodeSubmission.objects.filter(session=session, problem=problem).aggregate(
                latest=Max("version")
            )["latest"]
            return CodeSubmission.objects.create(
                session=session,
                problem=problem,
                language=language,
                code=text,
                version=(latest or 0) + 1,
                sha256=digest,
                size=len(data),
            )

    submission = _with_write_retries(store)
    logger.info(
        "submission %s: session %s problem %s v%s (%d bytes)",
        submission.pk,
        session.pk,
        problem.pk,
        submission.version,
        submission.size,
    )
    return submission


def submissions_mark_final(*, session: ExamSession) -> int:
    """Mark the latest version of each problem of ``session`` as final. Returns how many.

    Called when the session ends, whichever way (final submit, end exam, expiry, termination),
    so the version that counts is recorded even if the candidate never pressed final submit.
    """
    submissions = CodeSubmission.objects.filter(session=session)
    latest = Q(pk__in=[])
    for row in submissions.values("problem").annotate(version=Max("version")):
        latest |= Q(problem=row["problem"], version=row["version"])
    submissions.filter(is_final=True).exclude(latest).update(is_final=False)
    return submissions.filter(latest).update(is_final=True)


def session_final_submit(*, session: ExamSession, actor: User) -> ExamSession:
    """The candidate hands in: the session becomes submitted and its latest versions final.

    Idempotent: a session already submitted is returned unchanged, so a repeated (or
    concurrent) final submit answers the same. A session that expired, was terminated, or
    whose time just ran out answers 409 and keeps its state.
    """
    if session_expire_if_due(session):
        raise ConflictError(
            "The time for this session ran out; it has expired.",
            code="session_expired",
            details={"status": SessionStatus.EXPIRED},
        )

    def submit() -> ExamSession:
        with transaction.atomic():
            locked = ExamSession.objects.select_for_update().get(pk=session.pk)
            if locked.status == SessionStatus.SUBMITTED:
                return locked
            session_require_active(locked)
            # The versions are marked final by the transition's receiver (signals.py), which
            # covers every way a session can end, not only this one.
            return session_transition(
                session_id=locked.pk,
                to_status=SessionStatus.SUBMITTED,
                actor=actor,
                reason="Candidate made the final submission.",
            )

    return _with_write_retries(submit)
