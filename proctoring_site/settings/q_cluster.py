"""django-q2: Redis broker when REDIS_URL is set, the ORM broker otherwise.

Q_SYNC=1 runs tasks inline (the test settings do); the integration tests start a real
qcluster process with Q_SYNC=0.
"""

from __future__ import annotations

from .env import env_bool, env_int, env_str

_REDIS_URL = env_str("REDIS_URL", "")

Q_CLUSTER = {
    "name": env_str("Q_CLUSTER_NAME", "proctoring"),
    "workers": env_int("Q_WORKERS", 1),
    # Tasks a worker runs before it is replaced. Each new worker reloads the models (~5 s), and
    # at 500 every worker of a busy cluster reloaded at about the same moment (queue spikes of
    # 17-30 items at 20 candidates); the models hold no per-task state, so recycle rarely.
    "recycle": env_int("Q_RECYCLE", 20000),
    "timeout": env_int("Q_TIMEOUT", 120),
    "retry": env_int("Q_RETRY", 180),
    "max_attempts": 3,
    "queue_limit": 50,
    "bulk": 10,
    "save_limit": env_int("Q_SAVE_LIMIT", 500),
    "catch_up": False,
    "ack_failures": True,
    "poll": 0.2,
    "sync": env_bool("Q_SYNC", False),
    "label": "Background tasks",
}
if _REDIS_URL:
    Q_CLUSTER["redis"] = _REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

# /health/ answers 503 when no worker finished a task for this long (0: report, never 503).
# More than Q_TIMEOUT (a busy worker may hold one task that long) plus the minute schedules.
HEALTH_WORKER_STALE_S = env_int("HEALTH_WORKER_STALE_S", 300)
