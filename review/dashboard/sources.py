"""The review's view of the other apps' rows (logs, risk, media, submissions, similarity).

Each function turns those apps' models into small dataclasses the pages and exports use, so
a change in one of those models is adapted here only.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import F, QuerySet

from analysis.models import MediaItem as MediaRow
from analysis.models import SessionRisk
from monitoring.models import Incident, MonitoringLog
from submissions.models import CodeSubmission
from submissions.models import SimilarityMatch as SimilarityRow

# --------------------------------------------------------------------------- risk


@dataclass(frozen=True)
class Risk:
    score: float | None
    level: str  # "low" | "medium" | "high" | "" (not scored yet)
    contributions: list[dict[str, Any]] = field(default_factory=list)
    formula: str = ""
    updated_at: datetime | None = None
    expected_violations: float | None = None
    # {"kind": "learned", "version": 3, "ece": 0.04} or {"kind": "rules", "reason": "..."}
    model: dict[str, Any] = field(default_factory=dict)


NO_RISK = Risk(score=None, level="")
RISK_LEVELS = ("high", "medium", "low")


def risk_annotate(queryset: QuerySet) -> QuerySet:
    """Add ``risk_score`` and ``risk_level`` (None when not scored) to a session queryset."""
    # risk_expected (expected confirmed violations) sorts the list: it does not saturate.
    return queryset.annotate(
        risk_score=F("risk__score"),
        risk_level=F("risk__level"),
        risk_expected=F("risk__expected_violations"),
        risk_uncertainty=F("risk__uncertainty"),
    )


def risk_for_session(session: Any) -> Risk:
    """The session's stored risk; the explanation's per-incident rows, largest first."""
    row = SessionRisk.objects.filter(session=session).first()
    if row is None:
        return NO_RISK
    explanation = row.explanation or {}
    labels = dict(Incident.Kind.choices)
    contributions = [
        {**item, "label": labels.get(item.get("kind"), item.get("kind"))}
        for item in explanation.get("incidents") or []
        if isinstance(item, dict)
    ]
    return Risk(
        score=row.score,
        level=row.level,
        contributions=contributions,
        formula=explanation.get("formula", ""),
        updated_at=row.updated_at,
        expected_violations=getattr(row, "expected_violations", None),
        model=explanation.get("model") or {},
    )


# --------------------------------------------------------------------------- browser events


@dataclass(frozen=True)
class BrowserEvent:
    at: datetime
    type: str
    seq: int
    data: dict[str, Any]


def browser_events(session: Any, *, limit: int) -> list[BrowserEvent]:
    """The page's events in the page's time (the clock incidents are derived on)."""
    rows = MonitoringLog.objects.filter(session=session).order_by("client_ts", "seq")[:limit]
    return [
        BrowserEvent(at=row.client_ts, type=row.type, seq=row.seq, data=row.payload or {})
        for row in rows
    ]


def browser_event_rows(session: Any) -> list[dict[str, Any]]:
    """Every stored event with its chain fields, for exports."""
    return list(
        MonitoringLog.objects.filter(session=session)
        .order_by("chain_index")
        .values("seq", "type", "client_ts", "server_ts", "payload", "chain_index", "hash")
    )


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
    sha256: str
    code: str


def submissions(session: Any) -> list[Submission]:
    rows = (
        CodeSubmission.objects.filter(session=session)
        .select_related("problem")
        .order_by("created_at")
    )
    return [
        Submission(
            id=row.pk,
            at=row.created_at,
            problem=str(row.problem),
            language=row.language,
            version=row.version,
            is_final=row.is_final,
            size=row.size,
            sha256=row.sha256,
            code=row.code,
        )
        for row in rows
    ]


# --------------------------------------------------------------------------- media


MEDIA_KINDS = ("frame", "audio", "enroll")


@dataclass(frozen=True)
class MediaItem:
    """One stored frame or audio clip (the engine's ``analysis.MediaItem``)."""

    kind: str  # "frame" | "audio"
    id: int
    session_id: Any
    at: datetime | None
    file: Any  # a FieldFile; empty or deleted once purged
    is_evidence: bool
    content_type: str
    deleted: bool

    @property
    def available(self) -> bool:
        return not self.deleted and bool(self.file) and bool(getattr(self.file, "name", ""))

    @property
    def extension(self) -> str:
        name = getattr(self.file, "name", "") or ""
        if "." in name:
            return name.rsplit(".", 1)[-1].lower()
        return (mimetypes.guess_extension(self.content_type) or ".bin").lstrip(".")


def _media_item(row: Any) -> MediaItem:
    default_type = "audio/wav" if row.kind == "audio" else "image/jpeg"
    return MediaItem(
        kind=row.kind,
        id=row.pk,
        session_id=row.session_id,
        at=row.captured_at,
        file=row.file,
        is_evidence=row.is_evidence,
        content_type=row.content_type or default_type,
        deleted=row.file_deleted_at is not None,
    )


def media_get(kind: str, pk: int) -> MediaItem | None:
    if kind not in MEDIA_KINDS:
        return None
    row = MediaRow.objects.filter(pk=pk, kind=kind).first()
    return _media_item(row) if row is not None else None


def media_for_session(
    session: Any, kind: str | None = None, ids: Iterable[int] | None = None
) -> list[MediaItem]:
    rows = MediaRow.objects.filter(session=session)
    if kind is not None:
        rows = rows.filter(kind=kind)
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    return [_media_item(row) for row in rows.order_by("captured_at", "pk")]


def enrollment_frames(session: Any) -> list[MediaItem]:
    """Frames kept from the session's face enrollment (evidence media of kind ``enroll``).

    Empty when the deployment keeps only the template (ANALYSIS_KEEP_ENROLLMENT_FRAMES=0) or
    the frames were purged; the page then says so instead of showing a blank.
    """
    rows = (
        MediaRow.objects.filter(session=session, kind="enroll", file_deleted_at__isnull=True)
        .exclude(file="")
        .order_by("pk")
    )
    return [_media_item(row) for row in rows]


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
    row = (
        SimilarityRow.objects.filter(pk=match_id)
        .select_related(
            "problem",
            "submission_a",
            "submission_b",
            "session_a__candidate",
            "session_b__candidate",
        )
        .first()
    )
    if row is None or session.pk not in (row.session_a_id, row.session_b_id):
        return None
    mine_is_a = row.session_a_id == session.pk
    me, other = (
        (row.submission_a, row.submission_b) if mine_is_a else (row.submission_b, row.submission_a)
    )
    other_session = row.session_b if mine_is_a else row.session_a
    regions = []
    for region in row.regions or []:
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
        other_session_id=other_session.pk,
        other_candidate=other_session.candidate.display_name,
        problem=str(row.problem),
        regions=regions,
    )


def _lines(code: str, span: list[int] | tuple[int, int]) -> str:
    start, end = int(span[0]), int(span[1])
    return "\n".join(code.splitlines()[max(0, start - 1) : end])
