"""Settings of the analysis feature (each value from the environment with a safe default)."""

from __future__ import annotations
