"""Writes of the analysis app: ingest, analysis of stored media, aggregation, risk."""

from .aggregate import result_aggregate, session_aggregation_reset
from .analyze import media_analyze, media_fail, payload_analyze, session_reanalyze
from .delivery import media_sweep_unfinished
from .ingest import (
    MediaAccepted,
    enrollment_face_create,
    enrollment_voice_create,
    media_ingest,
)
from .risk import risk_recompute

__all__ = [
    "MediaAccepted",
    "enrollment_face_create",
    "enrollment_voice_create",
    "media_analyze",
    "media_fail",
    "media_ingest",
    "media_sweep_unfinished",
    "payload_analyze",
    "result_aggregate",
    "risk_recompute",
    "session_aggregation_reset",
    "session_reanalyze",
]
