"""Test plugins shared by every app (registered in the root conftest.py)."""
