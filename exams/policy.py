"""Exam policy: thresholds and switches that monitoring and analysis read, with defaults.

An exam stores only the keys it overrides (``Exam.policy``); a session may carry per-candidate
accommodations (``ExamSession.accommodations``) that override the exam's policy for that
candidate only, e.g. ``{"voice_checks": false}`` for a candidate who reads aloud.
"""

from __future__ import annotations

from typing import Any

DEFAULT_POLICY: dict[str, Any] = {
    # Browser events
    "tab_hidden_threshold_s": 5,
    "window_blur_threshold_s": 5,
    "fullscreen_exit_threshold_s": 0,
    "paste_size_threshold_chars": 200,
    "heartbeat_timeout_s": 30,
    "camera_off_threshold_s": 5,
    "mic_off_threshold_s": 5,
    # Media capture and analysis
    "frame_interval_s": 3,
    "audio_chunk_s": 5,
    "face_checks": True,
    "gaze_checks": True,
    "identity_checks": True,
    "voice_checks": True,
    "no_face_min_s": 5,
    "no_face_min_frames": 2,
    "looking_away_min_s": 5,
    "multiple_faces_window": 3,
    "multiple_faces_min_frames": 2,
    "other_voice_min_s": 3,
    "identity_check_every_n_frames": 5,
    # The candidate's page
    "violation_notices": True,  # tell the candidate at once when a violation is recorded
    "reenroll_on_rejoin": False,  # a rejoined session asks for the identity check again
    # Authorship: a final submission the exam page's recording editor never held is an
    # ``untyped_submission`` incident. Judged only in sessions whose page recorded the editor
    # (a session driven through the API alone has no records to compare with).
    "authorship_untyped": True,
}


def effective_policy(
    exam_policy: dict[str, Any] | None, accommodations: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Defaults, overridden by the exam's policy, overridden by the candidate's accommodations."""
    policy = dict(DEFAULT_POLICY)
    policy.update(exam_policy or {})
    policy.update(accommodations or {})
    return policy
