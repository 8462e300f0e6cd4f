"""One session exported for an appeal or an audit: the whole timeline as JSON + its evidence."""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from exams.models import ExamSession
from monitoring.models import Incident
from review.models import ProctorAction

from . import selectors, sources
from .timeline import session_timeline

EXPORT_FORMAT = "proctoring-session-export/1"


def _user(user: Any) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "username": user.username, "name": user.display_name}


def _verdict(row: Any) -> dict[str, Any]:
    return {
        "verdict": row.verdict,
        "notes": row.notes,
        "at": row.created_at,
        "reviewer": _user(row.reviewer),
    }


def _copy_media(item: sources.MediaItem, folder: Path) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "type": item.kind,
        "id": item.id,
        "captured_at": item.at,
        "content_type": item.content_type,
        "is_evidence": item.is_evidence,
        "file": None,
        "sha256": None,
        "status": "purged" if item.deleted else "missing",
    }
    if not item.available:
        return entry
    name = f"{item.kind}-{item.id}.{item.extension}"
    digest = hashlib.sha256()
    try:
        with (
            item.file.storage.open(item.file.name, "rb") as source,
            (folder / name).open("wb") as target,
        ):
            for chunk in iter(lambda: source.read(1 << 16), b""):
                digest.update(chunk)
                target.write(chunk)
    except FileNotFoundError:
        return entry
    entry.update(file=f"evidence/{name}", sha256=digest.hexdigest(), status="exported")
    return entry


def session_export(*, session: ExamSession, out_dir: Path, overwrite: bool = False) -> Path:
    """Write ``<out_dir>/session-<id>/`` with ``timeline.json`` and ``evidence/`` files.

    The folder is built beside the target and renamed into place at the end, so an
    interrupted export never leaves a half-written folder under the final name. An existing
    export is replaced only with ``overwrite``.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"session-{session.pk}"
    if target.exists() and not overwrite:
        raise FileExistsError(f"{target} exists (use --overwrite to replace it)")
    work = Path(tempfile.mkdtemp(prefix=f".session-{session.pk}-", dir=out_dir))
    try:
        (work / "evidence").mkdir()
        document = _document(session, work / "evidence")
        (work / "timeline.json").write_text(
            json.dumps(document, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False),
            encoding="utf-8",
        )
        if target.exists():
            shutil.rmtree(target)
        work.rename(target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return target


def _document(session: ExamSession, evidence_dir: Path) -> dict[str, Any]:
    session = ExamSession.objects.select_related("exam", "candidate__candidate_profile").get(
        pk=session.pk
    )
    incidents = selectors.session_incidents(session)
    timeline = session_timeline(session, incidents)
    media = {
        (item.kind, item.id): _copy_media(item, evidence_dir)
        for item in sources.media_for_session(session)
    }
    risk = sources.risk_for_session(session)
    return {
        "format": EXPORT_FORMAT,
        "exported_at": timezone.now(),
        "session": {
            "id": str(session.pk),
            "candidate": {
                "id": session.candidate_id,
                "username": session.candidate.username,
                "email": session.candidate.email,
                "name": session.candidate.display_name,
            },
            "exam": {"id": session.exam_id, "title": session.exam.title},
            "status": session.status,
            "created_at": session.created_at,
            "started_at": session.started_at,
            "ends_at": session.ends_at,
            "ended_at": session.ended_at,
            "end_reason": session.end_reason,
            "consent_at": session.consent_at,
            "accommodations": session.accommodations,
            "legal_hold": session.legal_hold,
        },
        "risk": {
            "score": risk.score,
            "level": risk.level,
            "expected_violations": risk.expected_violations,
            "model": risk.model,
            "formula": risk.formula,
            "contributions": risk.contributions,
        },
        "timeline": [
            {
                "at": entry.at,
                "end": entry.end,
                "lane": entry.lane,
                "kind": entry.kind,
                "title": entry.title,
                "detail": entry.detail,
                "ref": entry.anchor,
            }
            for entry in timeline.entries
        ],
        "transitions": [
            {
                "from": t.from_status,
                "to": t.to_status,
                "at": t.created_at,
                "actor": _user(t.actor),
                "reason": t.reason,
            }
            for t in session.transitions.select_related("actor")
        ],
        "proctor_actions": [
            {"kind": a.kind, "message": a.message, "at": a.created_at, "actor": _user(a.actor)}
            for a in ProctorAction.objects.filter(session=session).select_related("actor")
        ],
        "session_verdicts": [_verdict(v) for v in selectors.session_verdicts(session)],
        "incidents": [_incident(incident, media) for incident in incidents],
        "browser_events": sources.browser_event_rows(session),
        "submissions": [vars(s) for s in sources.submissions(session)],
        "media": list(media.values()),
    }


def _incident(incident: Incident, media: dict[tuple[str, int], dict[str, Any]]) -> dict[str, Any]:
    evidence = []
    for ref in incident.evidence or []:
        ref = dict(ref) if isinstance(ref, dict) else {"value": ref}
        exported = media.get((ref.get("type"), ref.get("id")))
        if exported is not None:
            ref["file"] = exported["file"]
            ref["status"] = exported["status"]
        evidence.append(ref)
    return {
        "id": incident.pk,
        "kind": incident.kind,
        "severity": incident.severity,
        "source": incident.source,
        "started_at": incident.started_at,
        "ended_at": incident.ended_at,
        "duration_s": incident.duration_s,
        "confidence": incident.confidence,
        "details": incident.details,
        "evidence": evidence,
        "review_status": incident.review_status,
        "verdicts": [_verdict(v) for v in incident.verdicts.all()],
    }
