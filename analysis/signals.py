"""Reactions to other apps' rows: risk after an incident is deleted, media when a session ends.

Incidents created, extended or reviewed re-score the risk through monitoring's hook (see
``AnalysisConfig.ready``), after commit and once per transaction.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from exams.models import ExamSession
from monitoring.models import Incident

from .live import live_thumbnail_delete
from .services.retention import session_media_finalize
from .services.risk import risk_recompute


@receiver(post_delete, sender=Incident, dispatch_uid="analysis_risk_on_incident_delete")
def incident_deleted(sender: Any, instance: Incident, **kwargs: Any) -> None:
    # After commit: when the whole session is being deleted, its risk row goes too and must
    # not be recreated half-way through the cascade.
    session_id = instance.session_id
    transaction.on_commit(lambda: risk_recompute(session_id=session_id))


@receiver(post_save, sender=ExamSession, dispatch_uid="analysis_finalize_on_session_end")
def session_saved(sender: Any, instance: ExamSession, **kwargs: Any) -> None:
    if instance.is_active:
        return
    session_id = instance.pk

    def finalize() -> None:
        live_thumbnail_delete(session_id=session_id)
        session = ExamSession.objects.filter(pk=session_id).first()
        if session is not None:
            session_media_finalize(session=session)

    transaction.on_commit(finalize)
