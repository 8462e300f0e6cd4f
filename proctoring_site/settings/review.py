"""Settings of the review feature (each value from the environment with a safe default)."""

from __future__ import annotations

from .env import env_int

# Longest reviewer note and proctor warning accepted.
REVIEW_NOTES_MAX_CHARS = env_int("REVIEW_NOTES_MAX_CHARS", 4000)
REVIEW_WARNING_MAX_CHARS = env_int("REVIEW_WARNING_MAX_CHARS", 500)
# The live page: how many recent incidents it starts with, and how often (seconds) it
# refreshes the list of active sessions as a fallback to the websocket feed.
REVIEW_LIVE_RECENT_INCIDENTS = env_int("REVIEW_LIVE_RECENT_INCIDENTS", 30)
REVIEW_LIVE_REFRESH_SECONDS = env_int("REVIEW_LIVE_REFRESH_SECONDS", 15)
# A live tile heard nothing from its page for this long reads "reconnecting" (the feed
# repeats an unchanged state every 20 s).
REVIEW_LIVE_SILENT_SECONDS = env_int("REVIEW_LIVE_SILENT_SECONDS", 45)
# The statistics page covers this many days back.
REVIEW_STATS_DAYS = env_int("REVIEW_STATS_DAYS", 30)
# Most timeline entries shown on one session page (browser events are the bulk).
REVIEW_TIMELINE_MAX_ENTRIES = env_int("REVIEW_TIMELINE_MAX_ENTRIES", 2000)
