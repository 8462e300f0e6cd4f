"""How well ``transcribed_typing`` does on this deployment's own recordings, by proctor labels.

No public recordings of people transcribing code are reachable here (docs/BENCHMARKS.md), so
the rule's thresholds are calibrated where real typing exists: the exam page's stored editor
records (``editor_changes``), labelled by the proctors' verdicts.

A (session, problem) recording is labelled
- transcription: a ``transcribed_typing`` incident on that problem was confirmed;
- not transcription: such an incident was dismissed (and none confirmed), or, with
  ``clear_sessions``, the session's latest verdict is "clear" and no incident of that problem
  says otherwise (every recorded problem of a cleared session counts).

Each labelled recording is judged again with the thresholds asked for, so a stricter or a
looser rule can be compared on the same labels. Labels come mostly from where the deployed
rule fired: transcriptions it missed are seen only through cleared sessions being wrong,
which they are not meant to be; so recall is measured only over what proctors confirmed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from monitoring.models import EventType, Incident, MonitoringLog
from review.models import SessionVerdict
from submissions.authorship import (
    TRANSCRIPTION_MAX_CV,
    TRANSCRIPTION_MAX_LONG_PAUSES_PER_100,
    TRANSCRIPTION_MIN_CHARS,
    Change,
    transcription_runs,
    typing_runs,
)
from submissions.authorship_services import editor_changes_for


@dataclass(frozen=True)
class Thresholds:
    min_chars: int = TRANSCRIPTION_MIN_CHARS
    max_cv: float = TRANSCRIPTION_MAX_CV
    max_long_pauses_per_100: float = TRANSCRIPTION_MAX_LONG_PAUSES_PER_100


@dataclass
class LabelledRecording:
    session_id: str
    problem_id: int
    transcription: bool
    source: str  # "incident confirmed" | "incident dismissed" | "session clear"
    changes: list[Change] = field(repr=False)


@dataclass
class Evaluation:
    thresholds: Thresholds
    rows: list[dict[str, Any]]
    true_positives: int = 0
    false_positives: int = 0
    true_negatives: int = 0
    false_negatives: int = 0

    @property
    def precision(self) -> float | None:
        flagged = self.true_positives + self.false_positives
        return self.true_positives / flagged if flagged else None

    @property
    def recall(self) -> float | None:
        positives = self.true_positives + self.false_negatives
        return self.true_positives / positives if positives else None

    @property
    def false_positive_rate(self) -> float | None:
        negatives = self.false_positives + self.true_negatives
        return self.false_positives / negatives if negatives else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "thresholds": vars(self.thresholds),
            "true_positives": self.true_positives,
            "false_positives": self.false_positives,
            "true_negatives": self.true_negatives,
            "false_negatives": self.false_negatives,
            "precision": self.precision,
            "recall": self.recall,
            "false_positive_rate": self.false_positive_rate,
            "recordings": self.rows,
        }


def _problem_of(incident: Incident) -> int | None:
    value = (incident.details or {}).get("problem_id")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def labelled_recordings(
    *, exam_id: int | None = None, clear_sessions: bool = True
) -> list[LabelledRecording]:
    """The recordings that proctors' verdicts label, with their editor records."""
    labels: dict[tuple[str, int], tuple[bool, str]] = {}
    incidents = Incident.objects.filter(
        kind=Incident.Kind.TRANSCRIBED_TYPING,
        review_status__in=[Incident.ReviewStatus.CONFIRMED, Incident.ReviewStatus.DISMISSED],
    )
    if exam_id is not None:
        incidents = incidents.filter(session__exam_id=exam_id)
    for incident in incidents.order_by("pk"):
        problem_id = _problem_of(incident)
        if problem_id is None:
            continue
        key = (str(incident.session_id), problem_id)
        if incident.review_status == Incident.ReviewStatus.CONFIRMED:
            labels[key] = (True, "incident confirmed")  # one confirmed run is enough
        else:
            labels.setdefault(key, (False, "incident dismissed"))
    if clear_sessions:
        verdicts = SessionVerdict.objects.order_by("session_id", "-created_at", "-pk")
        if exam_id is not None:
            verdicts = verdicts.filter(session__exam_id=exam_id)
        latest: dict[str, str] = {}
        for session_id, verdict in verdicts.values_list("session_id", "verdict"):
            latest.setdefault(str(session_id), verdict)
        cleared = [s for s, v in latest.items() if v == SessionVerdict.Verdict.CLEAR]
        recorded = (
            MonitoringLog.objects.filter(session_id__in=cleared, type=EventType.EDITOR_CHANGES)
            .values_list("session_id", "payload__problem_id")
            .distinct()
        )
        for session_id, problem_id in recorded:
            if isinstance(problem_id, int):
                labels.setdefault((str(session_id), problem_id), (False, "session clear"))
    recordings = []
    for (session_id, problem_id), (transcription, source) in sorted(labels.items()):
        changes = editor_changes_for(session_id=session_id, problem_id=problem_id)
        if changes:
            recordings.append(
                LabelledRecording(session_id, problem_id, transcription, source, changes)
            )
    return recordings


def authorship_evaluate(
    recordings: Iterable[LabelledRecording], thresholds: Thresholds
) -> Evaluation:
    """Judge each labelled recording with ``thresholds``; the confusion counts and the rows."""
    evaluation = Evaluation(thresholds=thresholds, rows=[])
    for recording in recordings:
        flagged = bool(
            transcription_runs(
                recording.changes,
                min_chars=thresholds.min_chars,
                max_cv=thresholds.max_cv,
                max_long_pauses_per_100=thresholds.max_long_pauses_per_100,
            )
        )
        runs = typing_runs(recording.changes)
        longest = max(runs, key=lambda run: run.chars) if runs else None
        if recording.transcription:
            if flagged:
                evaluation.true_positives += 1
            else:
                evaluation.false_negatives += 1
        elif flagged:
            evaluation.false_positives += 1
        else:
            evaluation.true_negatives += 1
        evaluation.rows.append(
            {
                "session_id": recording.session_id,
                "problem_id": recording.problem_id,
                "label": "transcription" if recording.transcription else "not transcription",
                "source": recording.source,
                "flagged": flagged,
                "records": len(recording.changes),
                "longest_run": longest.as_dict() if longest else None,
            }
        )
    return evaluation
