"""Fixtures: a live ASGI server (daphne) on the test database, and a Playwright browser."""
