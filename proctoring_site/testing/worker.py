"""Fixtures: a real django-q2 ``qcluster`` process on the test database."""
