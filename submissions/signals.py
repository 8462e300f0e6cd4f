"""React to sessions ending, whichever way they end (final submit, end exam, expiry, stop).

The exams app owns the lifecycle and writes a SessionTransition row for every status change,
so listening to that row is the one hook that sees every ending.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from exams.lifecycle import FINAL_STATUSES
from exams.models import SessionTransition

from .authorship_services import authorship_assess_enqueue
from .reports import similarity_report_enqueue_when_exam_done
from .services import submissions_mark_final


@receiver(post_save, sender=SessionTransition, dispatch_uid="submissions_session_ended")
def session_ended(sender: type, instance: SessionTransition, created: bool, **kwargs: Any) -> None:
    if not created or instance.to_status not in FINAL_STATUSES:
        return
    session = instance.session
    submissions_mark_final(session=session)
    authorship_assess_enqueue(session_id=session.pk)
    similarity_report_enqueue_when_exam_done(exam_id=session.exam_id)
