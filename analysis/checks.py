"""System checks of the analysis settings that only make sense together."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register


@register()
def lease_outlasts_task_timeout(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """A lease shorter than Q_TIMEOUT would deliver again items a live worker still holds."""
    timeout = settings.Q_CLUSTER.get("timeout") or 0
    lease = settings.ANALYSIS_LEASE_S
    if lease <= timeout:
        return [
            Error(
                f"ANALYSIS_LEASE_S ({settings.ANALYSIS_LEASE_S}) must exceed Q_TIMEOUT "
                f"({timeout}).",
                hint="Raise ANALYSIS_LEASE_S or lower Q_TIMEOUT.",
                id="analysis.E001",
            )
        ]
    return []
