"""Turning per-item observations into incidents over time (pure Python, no database).

Each incident kind has a :class:`KindState` per session. An observation says, for one frame or
audio chunk, whether the kind was seen (True), checked and not seen (False) or not judged
(None: a failed item, a check that did not run). The rules come from the session policy:

- sustained kinds (no face, looking away, identity mismatch, camera covered, poor image): a run
  of consecutive positive observations becomes an incident once it spans ``min_s`` seconds over
  at least ``min_items`` items; a negative observation ends the run;
- windowed kinds (several faces): ``min_items`` positives among the last ``window`` judged
  frames;
- voice kinds (background voice, several voices): consecutive positive chunks whose speech adds
  up to ``min_s`` seconds. A chunk judged over the session's recent audio also names the earlier
  chunks where the other voice spoke (``Observation.related``); they join the evidence.

A qualifying run yields an :class:`Opened` action (the database layer creates the incident, or
merges it into a recent one of the same kind); later positives of the same run yield
:class:`Extended`. Items that can no longer become evidence are returned as ``released`` so
their media can be deleted.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

SUSTAINED = "sustained"
WINDOWED = "windowed"
VOICE = "voice"

FRAME_KINDS = (
    "no_face",
    "multiple_faces",
    "looking_away",
    "identity_mismatch",
    "camera_obstructed",
    "low_quality",
)
AUDIO_KINDS = ("background_voice", "multiple_voices")

SEVERITY = {
    "no_face": "medium",
    "multiple_faces": "high",
    "looking_away": "low",
    "identity_mismatch": "high",
    "camera_obstructed": "medium",
    "low_quality": "low",
    "background_voice": "medium",
    "multiple_voices": "high",
}


@dataclass(frozen=True)
class Rule:
    mode: str
    min_s: float = 0.0
    min_items: int = 1
    window: int = 0


def rules_from_policy(policy: dict[str, Any]) -> dict[str, Rule]:
    """The aggregation rule of every kind, from the session's effective policy."""
    no_face = Rule(SUSTAINED, float(policy["no_face_min_s"]), int(policy["no_face_min_frames"]))
    voice_s = float(policy["other_voice_min_s"])
    return {
        "no_face": no_face,
        "camera_obstructed": no_face,
        "looking_away": Rule(
            SUSTAINED,
            float(policy["looking_away_min_s"]),
            int(policy.get("looking_away_min_frames", 2)),
        ),
        # Identity is checked every Nth frame; two failed checks in a row are needed.
        "identity_mismatch": Rule(
            SUSTAINED, 0.0, int(policy.get("identity_mismatch_min_checks", 2))
        ),
        "low_quality": Rule(
            SUSTAINED,
            float(policy.get("low_quality_min_s", 30)),
            int(policy.get("low_quality_min_frames", 3)),
        ),
        "multiple_faces": Rule(
            WINDOWED,
            window=int(policy["multiple_faces_window"]),
            min_items=int(policy["multiple_faces_min_frames"]),
        ),
        "background_voice": Rule(VOICE, min_s=voice_s),
        "multiple_voices": Rule(VOICE, min_s=voice_s),
    }


@dataclass
class Observation:
    at: datetime
    value: bool | None
    ref: dict[str, Any]  # evidence reference, e.g. {"type": "frame", "id": 12}
    end: datetime | None = None  # end of an audio chunk; a frame is an instant
    weight_s: float = 0.0  # seconds of speech in an audio chunk
    # Earlier items that show the same thing (the chunks where the other voice spoke before).
    related: list[dict[str, Any]] = field(default_factory=list)

    @property
    def until(self) -> datetime:
        return self.end or self.at


@dataclass
class Opened:
    kind: str
    started_at: datetime
    ended_at: datetime
    evidence: list[dict[str, Any]]
    positives: int
    judged: int


@dataclass
class Extended:
    kind: str
    incident_id: int
    ended_at: datetime
    evidence: list[dict[str, Any]]
    positives: int
    judged: int


@dataclass
class KindState:
    """JSON-serialisable state of one kind in one session (stored in AggregationState)."""

    last_at: str | None = None
    last_negative_at: str | None = None
    run_start: str | None = None
    run_end: str | None = None
    run_items: int = 0
    run_weight_s: float = 0.0
    run_refs: list[dict[str, Any]] = field(default_factory=list)
    window: list[list[Any]] = field(default_factory=list)  # [iso_at, value, ref]
    incident_id: int | None = None
    incident_positives: int = 0
    incident_judged: int = 0

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> KindState:
        if not data:
            return cls()
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def pending_refs(self) -> list[dict[str, Any]]:
        """Items that may still become evidence (held until the run resolves)."""
        refs = list(self.run_refs) if self.incident_id is None else []
        refs += [entry[2] for entry in self.window if entry[1]]
        return refs


@dataclass
class Step:
    action: Opened | Extended | None = None
    released: list[dict[str, Any]] = field(default_factory=list)
    ignored: bool = False


def _iso(at: datetime) -> str:
    return at.isoformat()


def _dt(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _reset_run(state: KindState) -> list[dict[str, Any]]:
    released = list(state.run_refs) if state.incident_id is None else []
    state.run_start = state.run_end = None
    state.run_items = 0
    state.run_weight_s = 0.0
    state.run_refs = []
    state.incident_id = None
    state.incident_positives = state.incident_judged = 0
    return released


def fold(kind: str, state: KindState, rule: Rule, obs: Observation) -> Step:
    """Fold one observation into ``state`` (mutated) and say what to do with incidents.

    An observation older than the last one folded (a retried upload, a second worker) joins the
    current run when it is positive and later than the last negative seen; otherwise it is
    ignored (``Step.ignored``) and its media released: a late item cannot undo what was decided.
    """
    if obs.value is None:
        return Step()
    if state.last_at is not None and obs.at < _dt(state.last_at):
        return _fold_late(kind, state, rule, obs)
    state.last_at = _iso(obs.at)
    if rule.mode == WINDOWED:
        return _fold_windowed(kind, state, rule, obs)
    return _fold_run(kind, state, rule, obs)


def _fold_late(kind: str, state: KindState, rule: Rule, obs: Observation) -> Step:
    after_negative = state.last_negative_at is None or obs.at > _dt(state.last_negative_at)
    if not obs.value:
        if after_negative:
            state.last_negative_at = _iso(obs.at)
        return Step(released=[obs.ref], ignored=True)
    if rule.mode == WINDOWED or state.run_start is None or not after_negative:
        return Step(released=[obs.ref], ignored=True)
    state.run_start = min(state.run_start, _iso(obs.at), key=_dt)
    # A late item does not move the run's end: an open incident still ends where it did.
    return _join_run(
        kind, state, rule, obs, until=_dt(state.run_end or state.last_at or _iso(obs.until))
    )


def _join_run(
    kind: str, state: KindState, rule: Rule, obs: Observation, *, until: datetime
) -> Step:
    """A positive observation joins the run: it extends the open incident up to ``until``, or
    counts towards opening one."""
    state.run_items += 1
    state.run_weight_s += obs.weight_s
    related = [ref for ref in obs.related if ref != obs.ref and ref not in state.run_refs]
    if state.incident_id is not None:
        state.incident_positives += 1
        state.incident_judged += 1
        return Step(
            action=Extended(
                kind,
                state.incident_id,
                until,
                [*related, obs.ref],
                state.incident_positives,
                state.incident_judged,
            )
        )
    state.run_refs.extend([*related, obs.ref])
    return _qualify(kind, state, rule)


def _qualify(kind: str, state: KindState, rule: Rule) -> Step:
    if rule.mode == VOICE:
        qualifies = state.run_weight_s >= rule.min_s
    else:
        span = (_dt(state.run_end) - _dt(state.run_start)).total_seconds()
        qualifies = span >= rule.min_s and state.run_items >= rule.min_items
    if not qualifies:
        return Step()
    action = Opened(
        kind,
        _dt(state.run_start),
        _dt(state.run_end),
        list(state.run_refs),
        state.run_items,
        state.run_items,
    )
    state.run_refs = []
    return Step(action=action)


def _fold_run(kind: str, state: KindState, rule: Rule, obs: Observation) -> Step:
    if not obs.value:
        state.last_negative_at = _iso(obs.at)
        released = _reset_run(state)
        return Step(released=released + [obs.ref])
    if state.run_start is None:
        state.run_start = _iso(obs.at)
    state.run_end = _iso(obs.until)
    return _join_run(kind, state, rule, obs, until=obs.until)


def _fold_windowed(kind: str, state: KindState, rule: Rule, obs: Observation) -> Step:
    state.window.append([_iso(obs.at), bool(obs.value), obs.ref])
    released: list[dict[str, Any]] = []
    while len(state.window) > rule.window:
        dropped = state.window.pop(0)
        if dropped[1] and state.incident_id is None:
            released.append(dropped[2])
    if not obs.value:
        released.append(obs.ref)
    positives = [entry for entry in state.window if entry[1]]
    if len(positives) < rule.min_items:
        if state.incident_id is not None and not obs.value:
            # The window no longer qualifies: the incident is over; what is left in the window
            # is already evidence, so the next incident starts from an empty window.
            state.window = []
            state.incident_id = None
            state.incident_positives = state.incident_judged = 0
        return Step(released=released)
    if state.incident_id is not None:
        state.incident_judged += 1
        if not obs.value:
            return Step(released=released)
        state.incident_positives += 1
        return Step(
            action=Extended(
                kind,
                state.incident_id,
                obs.at,
                [obs.ref],
                state.incident_positives,
                state.incident_judged,
            ),
            released=released,
        )
    action = Opened(
        kind,
        _dt(positives[0][0]),
        _dt(positives[-1][0]),
        [entry[2] for entry in positives],
        len(positives),
        len(state.window),
    )
    return Step(action=action, released=released)


def attach_incident(state: KindState, incident_id: int, positives: int, judged: int) -> None:
    """Record the incident a just-opened run went into, so later positives extend it."""
    state.incident_id = incident_id
    state.incident_positives = positives
    state.incident_judged = judged
