"""The live page's tiles: one per active session, with what the candidate is doing now.

The page starts from :func:`live_tiles` and then applies the proctor feed's events to single
tiles (``session.state``, ``frame.analyzed``, ``incident.*``, ``risk.updated``,
``session.status``); it asks for the snapshot again only for a session it does not know.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Max
from django.utils import timezone

from analysis.live import live_thumbnail_exists
from analysis.models import AnalysisResult, MediaKind, ResultStatus
from monitoring.models import Incident, SessionMonitor
from monitoring.services.monitors import LIVE_STATES_OPEN, live_connection

from . import selectors

# Open incidents of these kinds say "right now" on the tile.
FACE_ABSENT_KINDS = (Incident.Kind.NO_FACE,)


def live_tiles(*, exam_id: int | None = None) -> list[dict[str, Any]]:
    """Active sessions (of one exam if given) as tiles, riskiest and most alarming first."""
    rows = selectors.live_sessions(exam_id=exam_id)
    ids = [row["id"] for row in rows]
    now = timezone.now()
    monitors = {
        str(m.session_id): m
        for m in SessionMonitor.objects.filter(session_id__in=ids).only(
            "session_id", "last_event_at", "offline_incident_id", "derive_state"
        )
    }
    open_incidents: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for session_id, pk, kind in (
        Incident.objects.filter(session_id__in=ids, ended_at__isnull=True)
        .order_by("pk")
        .values_list("session_id", "pk", "kind")
    ):
        open_incidents[str(session_id)].append((pk, kind))
    # The newest analysed frame's result id names the thumbnail's version.
    latest_frames = {
        str(session_id): result_id
        for session_id, result_id in AnalysisResult.objects.filter(
            session_id__in=ids, kind=MediaKind.FRAME, status=ResultStatus.OK
        )
        .values_list("session_id")
        .annotate(latest=Max("pk"))
        .order_by()
    }
    tiles = []
    for row in rows:
        monitor = monitors.get(row["id"])
        open_states = (monitor.derive_state or {}).get("open", {}) if monitor else {}
        kinds = {kind for _pk, kind in open_incidents.get(row["id"], [])}
        frame_id = latest_frames.get(row["id"])
        tiles.append(
            {
                **row,
                "connection": live_connection(monitor, now=now),
                "last_event_at": monitor.last_event_at.isoformat()
                if monitor and monitor.last_event_at
                else None,
                "tab_hidden": LIVE_STATES_OPEN["tab_hidden"] in open_states,
                "camera_off": LIVE_STATES_OPEN["camera_off"] in open_states
                or Incident.Kind.CAMERA_OFF in kinds,
                "face_absent": any(kind in kinds for kind in FACE_ABSENT_KINDS),
                "open_incident_ids": open_incidents.get(row["id"], []),
                "frame_id": frame_id
                if frame_id and live_thumbnail_exists(session_id=row["id"])
                else None,
            }
        )
    tiles.sort(key=tile_sort_key)
    return tiles


def tile_alarm(tile: dict[str, Any]) -> int:
    """How many "right now" problems a tile shows (offline counts twice)."""
    return (
        (2 if tile["connection"] == "offline" else 1 if tile["connection"] == "reconnecting" else 0)
        + int(tile["tab_hidden"])
        + int(tile["camera_off"])
        + int(tile["face_absent"])
    )


def tile_sort_key(tile: dict[str, Any]) -> tuple[float, float, int, str]:
    """Riskiest first (expected confirmed violations, as the list sorts); on equal risk the
    tile with more going on now; then by name."""
    expected = tile.get("risk_expected")
    score = tile["risk_score"] if tile["risk_score"] is not None else -1.0
    return (
        -(expected if expected is not None else -1.0),
        -score,
        -tile_alarm(tile),
        tile["candidate"],
    )
