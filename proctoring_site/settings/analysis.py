"""Settings of the analysis feature (each value from the environment with a safe default)."""

from __future__ import annotations

from .env import env_bool, env_float, env_int

# Upload limits checked from the headers before anything is stored (4xx at upload).
ANALYSIS_FRAME_MAX_BYTES = env_int("ANALYSIS_FRAME_MAX_BYTES", 2 * 1024 * 1024)
ANALYSIS_FRAME_MAX_PIXELS = env_int("ANALYSIS_FRAME_MAX_PIXELS", 1920 * 1080)
ANALYSIS_AUDIO_MAX_BYTES = env_int("ANALYSIS_AUDIO_MAX_BYTES", 3 * 1024 * 1024)
ANALYSIS_AUDIO_MAX_SECONDS = env_float("ANALYSIS_AUDIO_MAX_SECONDS", 30.0)
# A client clock may run this far ahead of the server's (captured_at further ahead: 400).
ANALYSIS_MAX_CLOCK_SKEW_S = env_int("ANALYSIS_MAX_CLOCK_SKEW_S", 300)
# Per session and media kind: at most this many uploads per window (429 beyond). The page sends
# a frame every few seconds and an audio chunk every few seconds, so the default is ~5x that.
ANALYSIS_RATE_WINDOW_S = env_int("ANALYSIS_RATE_WINDOW_S", 60)
ANALYSIS_RATE_MAX_UPLOADS = env_int("ANALYSIS_RATE_MAX_UPLOADS", 100)
# The synchronous analyze endpoint (analysis/analyze_gate.py): calls per user per window, and
# how many run at once per server process (429 with Retry-After beyond either).
ANALYZE_RATE_WINDOW_S = env_int("ANALYZE_RATE_WINDOW_S", 60)
ANALYZE_RATE_MAX_PER_USER = env_int("ANALYZE_RATE_MAX_PER_USER", 30)
ANALYZE_MAX_CONCURRENT = env_int("ANALYZE_MAX_CONCURRENT", 2)
# Enrollment: how many frames the exam page may send at once.
ANALYSIS_ENROLL_MAX_FRAMES = env_int("ANALYSIS_ENROLL_MAX_FRAMES", 8)

# Privacy: media that is not evidence for an incident is deleted once it can no longer become
# evidence. Set to keep everything (e.g. while tuning analyzers on consenting test users).
ANALYSIS_KEEP_NON_EVIDENCE_MEDIA = env_bool("ANALYSIS_KEEP_NON_EVIDENCE_MEDIA", False)
# Media that failed to decode is deleted by default; keep it to debug a misbehaving client.
ANALYSIS_KEEP_FAILED_MEDIA = env_bool("ANALYSIS_KEEP_FAILED_MEDIA", False)
# The accepted face-enrollment frames are kept as evidence (purged like other evidence) so a
# reviewer can compare them with a frame flagged as an identity mismatch. 0: keep only the
# template.
ANALYSIS_KEEP_ENROLLMENT_FRAMES = env_bool("ANALYSIS_KEEP_ENROLLMENT_FRAMES", True)

# Voices are judged over the session's audio of the last this many seconds (the chunks' GE2E
# windows clustered together), so two people taking turns across 5 s chunks are counted.
ANALYSIS_VOICE_WINDOW_S = env_float("ANALYSIS_VOICE_WINDOW_S", 60.0)

# Two incidents of the same kind closer than this (seconds) are merged into one.
ANALYSIS_MERGE_GAP_S = env_float("ANALYSIS_MERGE_GAP_S", 10.0)

# Session risk levels: score >= MEDIUM is medium, >= HIGH is high (0-100 scale). The score is
# 100 E / (E + 1) of the expected confirmed violations E, so 50 is "one violation expected"
# (E >= 1) and 20 "one in four" (E >= 0.25).
ANALYSIS_RISK_MEDIUM = env_int("ANALYSIS_RISK_MEDIUM", 20)
ANALYSIS_RISK_HIGH = env_int("ANALYSIS_RISK_HIGH", 50)

# Load the models when a worker process starts, so the first frame is not slow.
ANALYSIS_PRELOAD_MODELS = env_bool("ANALYSIS_PRELOAD_MODELS", True)

# Delivery (analysis.services.delivery): an item without a result whose lease is older than
# this is queued again by the scheduled sweep. It must exceed Q_TIMEOUT (a worker holding the
# item longer is killed by django-q2), which a system check enforces.
ANALYSIS_LEASE_S = env_int("ANALYSIS_LEASE_S", 300)
# After this many started analyses without a result (a worker died on it each time), the item
# gets a failed result with reason attempts_exhausted instead of another delivery.
ANALYSIS_MAX_ATTEMPTS = env_int("ANALYSIS_MAX_ATTEMPTS", 3)
# Items one sweep run handles at most (the next run, a minute later, takes the rest).
ANALYSIS_SWEEP_BATCH = env_int("ANALYSIS_SWEEP_BATCH", 500)
# While more tasks than this wait in the broker, the sweep queues nothing again (a waiting
# item looks lost without delivery receipts); 50 is one cluster's prefetch (queue_limit).
ANALYSIS_SWEEP_MAX_BACKLOG = env_int("ANALYSIS_SWEEP_MAX_BACKLOG", 50)

# Unchanged frames (analysis/analyzers/vision/change.py): a frame whose thumbnail matches the
# session's last fully analysed frame gets that frame's labels instead of a new analysis. At
# most ANALYSIS_UNCHANGED_MAX_RUN frames in a row, and never against a frame older than
# ANALYSIS_UNCHANGED_MAX_AGE_S: then a full analysis, whatever the thumbnail says (what a
# thumbnail cannot see, eyes turning with the head still, is caught at that interval). Frames
# due for an identity check are always analysed in full.
ANALYSIS_SKIP_UNCHANGED_FRAMES = env_bool("ANALYSIS_SKIP_UNCHANGED_FRAMES", True)
ANALYSIS_UNCHANGED_MAX_RUN = env_int("ANALYSIS_UNCHANGED_MAX_RUN", 3)
ANALYSIS_UNCHANGED_MAX_AGE_S = env_float("ANALYSIS_UNCHANGED_MAX_AGE_S", 12.0)

# Batching (analysis/services/queueing.py): a worker task analyses up to this many waiting items
# of one session, in capture order (1: one task per item). The marker saying a session's task
# is queued expires after ANALYSIS_BATCH_MARKER_S (a lost task then delays nothing longer).
ANALYSIS_BATCH_MAX_ITEMS = env_int("ANALYSIS_BATCH_MAX_ITEMS", 8)
ANALYSIS_BATCH_MARKER_S = env_int("ANALYSIS_BATCH_MARKER_S", 30)
