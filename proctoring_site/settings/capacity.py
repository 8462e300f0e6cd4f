"""Capacity: one bound on the database connections of each server process.

Every place a server process may hold a PostgreSQL connection is counted here, so that
``ASGI_PROCESSES x DB_CONNECTIONS_PER_PROCESS`` plus the workers stays under the database's
``max_connections`` (PostgreSQL's default is 100). See docs/DEPLOYMENT.md for the arithmetic.
"""

from __future__ import annotations

from .env import env_float, env_int, env_str

# Connections one ASGI (daphne) process may hold at once: the ingest pool's threads and its
# group-commit writers (MONITORING_INGEST_THREADS + MONITORING_INGEST_WRITERS), Channels'
# one shared thread for database_sync_to_async, and the rest for Django's request threads
# (one thread, so at most one connection, per request in flight).
DB_CONNECTIONS_PER_PROCESS = env_int("DB_CONNECTIONS_PER_PROCESS", 16)
# A request waits this long for one of those request slots, then gets 503 with Retry-After
# (the exam page retries; nothing is lost) instead of opening one connection too many.
ASGI_REQUEST_WAIT_S = env_float("ASGI_REQUEST_WAIT_S", 5.0)
# Retry-After (seconds) on 503 answers for overload; the page adds jitter.
OVERLOAD_RETRY_AFTER_S = env_int("OVERLOAD_RETRY_AFTER_S", 2)
# Requests queued for the ingest pool beyond this many get 503 at once (a full queue means
# the process is behind by more than a few seconds; waiting longer would only add latency).
MONITORING_INGEST_QUEUE_MAX = env_int("MONITORING_INGEST_QUEUE_MAX", 400)

# For the startup check (proctoring_site.checks): the deployment's process counts and the
# database's limit. The check warns when the budgets together could exceed it.
ASGI_PROCESSES = env_int("ASGI_PROCESSES", 2)
QCLUSTER_PROCESSES = env_int("QCLUSTER_PROCESSES", 1)
DB_SERVER_MAX_CONNECTIONS = env_int("DB_SERVER_MAX_CONNECTIONS", 100)
# Connections kept free for migrations, the admin's manage.py shell, monitoring (psql).
DB_RESERVED_CONNECTIONS = env_int("DB_RESERVED_CONNECTIONS", 10)

# /metrics (Prometheus): open when empty (keep it off the public load balancer), otherwise
# only for "Authorization: Bearer <METRICS_TOKEN>".
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
