"""Settings of the monitoring feature (each value from the environment with a safe default)."""

from __future__ import annotations

from .env import env_int

# Ingest limits: events per batch, bytes of one event's payload (canonical JSON), and how far
# in the future a client timestamp may be before the event is rejected (clock skew allowance).
MONITORING_BATCH_MAX_EVENTS = env_int("MONITORING_BATCH_MAX_EVENTS", 500)
MONITORING_PAYLOAD_MAX_BYTES = env_int("MONITORING_PAYLOAD_MAX_BYTES", 4096)
MONITORING_MAX_FUTURE_SKEW_S = env_int("MONITORING_MAX_FUTURE_SKEW_S", 300)

# Per-session rate limits on ingest (HTTP and websocket together), in a fixed window kept in
# the Django cache (Redis when REDIS_URL is set, so every worker process shares it). The
# defaults leave a page that sends a heartbeat each second and a batch every few seconds
# about 10x headroom.
MONITORING_RATE_WINDOW_S = env_int("MONITORING_RATE_WINDOW_S", 10)
MONITORING_RATE_MAX_REQUESTS = env_int("MONITORING_RATE_MAX_REQUESTS", 100)
MONITORING_RATE_MAX_EVENTS = env_int("MONITORING_RATE_MAX_EVENTS", 2000)

# Incident derivation walks events in seq order; a gap (an event not received yet) is waited
# for this long before derivation moves past it, so one lost event cannot stall it forever.
MONITORING_GAP_GRACE_S = env_int("MONITORING_GAP_GRACE_S", 15)

# Websocket: seconds a connection may stay open without authenticating (first message).
MONITORING_WS_AUTH_TIMEOUT_S = env_int("MONITORING_WS_AUTH_TIMEOUT_S", 10)

# The ingest endpoints run in this many threads per ASGI server process, each keeping its
# database connection up to MONITORING_INGEST_CONN_MAX_AGE seconds (0: plain Django, a new
# connection per request). See monitoring/ingest_pool.py.
MONITORING_INGEST_THREADS = env_int("MONITORING_INGEST_THREADS", 4)
MONITORING_INGEST_CONN_MAX_AGE = env_int("MONITORING_INGEST_CONN_MAX_AGE", 300)
# Group commit (see monitoring/ingest_pool.py): writer threads per server process, and how
# many queued requests (of different sessions) one transaction stores at most.
MONITORING_INGEST_WRITERS = env_int("MONITORING_INGEST_WRITERS", 2)
MONITORING_INGEST_GROUP_MAX = env_int("MONITORING_INGEST_GROUP_MAX", 64)
# Websocket group joins/leaves in flight at once per server process (each is a Redis command;
# channels-redis pools at most 100 connections per process).
MONITORING_WS_GROUP_OPS = env_int("MONITORING_WS_GROUP_OPS", 32)
