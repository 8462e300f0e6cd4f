"""django-q2 entry points for monitoring."""

from __future__ import annotations

from .services import monitoring_sweep


def sweep_monitoring() -> dict[str, int]:
    """Scheduled every minute: offline candidates, states overdue by server time, ended sessions.

    Batches do the same checks when they arrive; this pass is for pages that stopped sending.
    """
    return monitoring_sweep()
