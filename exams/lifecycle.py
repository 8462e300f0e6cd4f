"""The exam session lifecycle: its states and the one place that says which moves are legal.

created -> in_progress -> submitted | terminated | expired
created -> terminated | expired   (never started: cancelled by a proctor or timed out)
"""

from __future__ import annotations

from django.db import models


class SessionStatus(models.TextChoices):
    CREATED = "created", "Created"
    IN_PROGRESS = "in_progress", "In progress"
    SUBMITTED = "submitted", "Submitted"
    TERMINATED = "terminated", "Terminated"
    EXPIRED = "expired", "Expired"


ACTIVE_STATUSES = frozenset({SessionStatus.CREATED, SessionStatus.IN_PROGRESS})
FINAL_STATUSES = frozenset(
    {SessionStatus.SUBMITTED, SessionStatus.TERMINATED, SessionStatus.EXPIRED}
)

_LEGAL_TRANSITIONS: dict[str, frozenset[str]] = {
    SessionStatus.CREATED: frozenset(
        {SessionStatus.IN_PROGRESS, SessionStatus.TERMINATED, SessionStatus.EXPIRED}
    ),
    SessionStatus.IN_PROGRESS: frozenset(
        {SessionStatus.SUBMITTED, SessionStatus.TERMINATED, SessionStatus.EXPIRED}
    ),
}


def is_transition_legal(from_status: str, to_status: str) -> bool:
    """True when a session in ``from_status`` may move to ``to_status``."""
    return to_status in _LEGAL_TRANSITIONS.get(from_status, frozenset())
