"""Settings of the submissions feature (each value from the environment with a safe default)."""

from __future__ import annotations

from .env import env_float, env_int

# Largest accepted program, in bytes of UTF-8 (413 above it).
SUBMISSION_CODE_MAX_BYTES = env_int("SUBMISSION_CODE_MAX_BYTES", 100 * 1024)
# Attempts to store a submission or final-submit when concurrent requests collide (a version
# number taken by a parallel request, or SQLite's "database is locked").
SUBMISSION_WRITE_ATTEMPTS = env_int("SUBMISSION_WRITE_ATTEMPTS", 8)

# Code similarity: the engine's parameters (submissions/similarity/engine.py has the same
# defaults). A pair scoring at least the threshold becomes a match and two incidents.
SIMILARITY_THRESHOLD = env_float("SIMILARITY_THRESHOLD", 0.5)
SIMILARITY_K = env_int("SIMILARITY_K", 12)
SIMILARITY_WINDOW = env_int("SIMILARITY_WINDOW", 8)
# Common code from other exams (submissions/similarity/common.py): the final submissions of
# up to SIMILARITY_COMMON_EXAMS other exams in the same language (at most
# SIMILARITY_COMMON_PER_EXAM each) are read, and what at least SIMILARITY_COMMON_MIN_EXAMS of
# them (and SIMILARITY_COMMON_MIN_FRACTION of those read) contain is not counted as copied.
SIMILARITY_COMMON_EXAMS = env_int("SIMILARITY_COMMON_EXAMS", 8)
SIMILARITY_COMMON_PER_EXAM = env_int("SIMILARITY_COMMON_PER_EXAM", 15)
SIMILARITY_COMMON_MIN_EXAMS = env_int("SIMILARITY_COMMON_MIN_EXAMS", 2)
SIMILARITY_COMMON_MIN_FRACTION = env_float("SIMILARITY_COMMON_MIN_FRACTION", 0.3)
# From this score on, a similarity incident is high severity (medium below).
SIMILARITY_HIGH_SEVERITY_SCORE = env_float("SIMILARITY_HIGH_SEVERITY_SCORE", 0.8)

# Large paste: a paste (or large insertion) of at least the session policy's
# ``paste_size_threshold_chars`` that is more than LARGE_PASTE_RATIO times the characters the
# candidate typed within LARGE_PASTE_WINDOW_S seconds before and after it.
LARGE_PASTE_RATIO = env_float("LARGE_PASTE_RATIO", 3.0)
LARGE_PASTE_WINDOW_S = env_int("LARGE_PASTE_WINDOW_S", 120)
# From this many pasted characters on, a large-paste incident is high severity.
LARGE_PASTE_HIGH_SEVERITY_CHARS = env_int("LARGE_PASTE_HIGH_SEVERITY_CHARS", 1000)
