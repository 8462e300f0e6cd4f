"""Adapters to the models of the other apps (logs, risk, media, submissions, similarity).

Those apps are built in parallel; each function here looks its model up by name and degrades
to "nothing stored" while the model does not exist, so the dashboard works at every stage of
the merge. When a model changes, only this module changes.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.apps import apps
from django.db.models import Model, QuerySet


def _model(label: str) -> type[Model] | None:
    try:
        return apps.get_model(label)
    except LookupError:
        return None


# --------------------------------------------------------------------------- risk


@dataclass(frozen=True)
class Risk:
    score: float | None
    level: str  # "low" | "medium" | "high" | "" (not scored yet)
    explanation: list[dict[str, Any]] = field(default_factory=list)
    updated_at: datetime | None = None


NO_RISK = Risk(score=None, level="")
RISK_LEVELS = ("high", "medium", "low")


def risk_model() -> type[Model] | None:
    return _model("analysis.SessionRisk")


def risk_annotate(queryset: QuerySet) -> QuerySet:
    """Add ``risk_score`` and ``risk_level`` (None when not scored) to a session queryset."""
    from django.db.models import CharField, FloatField, OuterRef, Subquery, Value

    model = risk_model()
    if model is None:
        return queryset.annotate(
            risk_score=Value(None, output_field=FloatField()),
            risk_level=Value("", output_field=CharField()),
        )
    rows = model.objects.filter(session=OuterRef("pk"))
    return queryset.annotate(
        risk_score=Subquery(rows.values("score")[:1]),
        risk_level=Subquery(rows.values("level")[:1]),
    )


def risk_for_session(session: Any) -> Risk:
    model = risk_model()
    if model is None:
        return NO_RISK
    row = model.objects.filter(session=session).first()
    if row is None:
        return NO_RISK
    explanation = getattr(row, "explanation", None) or []
    if isinstance(explanation, dict):
        explanation = explanation.get("contributions") or explanation.get("items") or []
    return Risk(
        score=row.score,
        level=row.level,
        explanation=list(explanation),
        updated_at=getattr(row, "updated_at", None),
    )


# --------------------------------------------------------------------------- browser events


@dataclass(frozen=True)
class BrowserEvent:
    at: datetime
    type: str
    seq: int | None
    data: dict[str, Any]


def browser_events(session: Any, *, limit: int) -> list[BrowserEvent]:
    model = _model("monitoring.MonitoringLog")
    if model is None:
        return []
    rows = model.objects.filter(session=session).order_by("occurred_at", "pk")[:limit]
    return [
        BrowserEvent(
            at=row.occurred_at,
            type=row.event_type,
            seq=getattr(row, "seq", None),
            data=getattr(row, "data", None) or {},
        )
        for row in rows
    ]


# --------------------------------------------------------------------------- submissions


@dataclass(frozen=True)
class Submission:
    id: int
    at: datetime
    problem: str
    language: str
    version: int
    is_final: bool
    size: int


def submissions(session: Any) -> list[Submission]:
    model = _model("submissions.CodeSubmission")
    if model is None:
        return []
    rows = model.objects.filter(session=session).select_related("problem").order_by("created_at")
    return [
        Submission(
            id=row.pk,
            at=row.created_at,
            problem=str(row.problem),
            language=row.language,
            version=row.version,
            is_final=row.is_final,
            size=len(row.code.encode("utf-8")),
        )
        for row in rows
    ]


# --------------------------------------------------------------------------- media


@dataclass(frozen=True)
class MediaItem:
    """One stored frame or audio clip, wherever the engine keeps it."""

    kind: str  # "frame" | "audio" | "enrollment"
    id: int
    session_id: Any
    at: datetime | None
    file: Any  # a FieldFile (may be empty when purged)
    is_evidence: bool
    content_type: str

    @property
    def available(self) -> bool:
        return bool(self.file) and bool(getattr(self.file, "name", ""))


# kind -> (model label, file field, time field)
MEDIA_MODELS: dict[str, tuple[str, str, str]] = {
    "frame": ("analysis.FrameUpload", "image", "captured_at"),
    "audio": ("analysis.AudioChunk", "audio", "captured_at"),
    "enrollment": ("analysis.EnrollmentFrame", "image", "created_at"),
}


def _media_item(kind: str, row: Any) -> MediaItem:
    _label, file_field, time_field = MEDIA_MODELS[kind]
    file = getattr(row, file_field)
    guessed = mimetypes.guess_type(file.name or "")[0] if file else None
    default_type = "audio/wav" if kind == "audio" else "image/jpeg"
    return MediaItem(
        kind=kind,
        id=row.pk,
        session_id=_session_id_of(row),
        at=getattr(row, time_field, None),
        file=file,
        is_evidence=bool(getattr(row, "is_evidence", kind == "enrollment")),
        content_type=guessed or default_type,
    )


def _session_id_of(row: Any) -> Any:
    session_id = getattr(row, "session_id", None)
    if session_id is None and hasattr(row, "template"):
        session_id = row.template.session_id
    return session_id


def media_get(kind: str, pk: int) -> MediaItem | None:
    spec = MEDIA_MODELS.get(kind)
    model = _model(spec[0]) if spec else None
    if model is None:
        return None
    row = model.objects.filter(pk=pk).first()
    return _media_item(kind, row) if row is not None else None


def media_for_session(session: Any, kind: str, ids: Iterable[int] | None = None) -> list[MediaItem]:
    spec = MEDIA_MODELS[kind]
    model = _model(spec[0])
    if model is None:
        return []
    rows = model.objects.filter(session=session)
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    return [_media_item(kind, row) for row in rows.order_by("pk")]


def media_purgeable(kind: str) -> QuerySet | None:
    """All rows of a media kind (None when the model does not exist)."""
    spec = MEDIA_MODELS[kind]
    model = _model(spec[0])
    return model.objects.all() if model is not None else None


# --------------------------------------------------------------------------- similarity


@dataclass(frozen=True)
class CodeRegion:
    lines: tuple[int, int]
    code: str


@dataclass(frozen=True)
class SimilarityMatch:
    id: int
    score: float
    other_session_id: Any
    other_candidate: str
    problem: str
    regions: list[tuple[CodeRegion, CodeRegion]]  # (this session's, the other's)


def similarity_match(match_id: int, session: Any) -> SimilarityMatch | None:
    """The match ``match_id`` seen from ``session``'s side, with the matching code regions."""
    model = _model("submissions.SimilarityMatch")
    if model is None:
        return None
    row = model.objects.filter(pk=match_id).first()
    if row is None:
        return None
    a, b = row.submission_a, row.submission_b
    mine_is_a = a.session_id == session.pk
    me, other = (a, b) if mine_is_a else (b, a)
    regions = []
    for region in row.matches or []:
        my_lines = region["a_lines"] if mine_is_a else region["b_lines"]
        their_lines = region["b_lines"] if mine_is_a else region["a_lines"]
        regions.append(
            (
                CodeRegion(tuple(my_lines), _lines(me.code, my_lines)),
                CodeRegion(tuple(their_lines), _lines(other.code, their_lines)),
            )
        )
    return SimilarityMatch(
        id=row.pk,
        score=row.score,
        other_session_id=other.session_id,
        other_candidate=other.session.candidate.display_name,
        problem=str(me.problem),
        regions=regions,
    )


def _lines(code: str, span: list[int] | tuple[int, int]) -> str:
    start, end = int(span[0]), int(span[1])
    return "\n".join(code.splitlines()[max(0, start - 1) : end])
