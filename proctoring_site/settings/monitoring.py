"""Settings of the monitoring feature (each value from the environment with a safe default)."""

from __future__ import annotations
