"""Writes for monitoring: the event ingest (``ingest``), the per-session monitor rows it
keeps (``monitors``) and incidents reported by hand (``reports``)."""

from .ingest import IngestResult, events_ingest, events_ingest_many
from .monitors import monitor_lock
from .reports import incident_report

__all__ = [
    "IngestResult",
    "events_ingest",
    "events_ingest_many",
    "incident_report",
    "monitor_lock",
]
