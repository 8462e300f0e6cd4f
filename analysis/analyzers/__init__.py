"""Analyzers: plain Python, no Django import.

A frame or an audio chunk goes in, a typed dataclass comes out. Models are loaded once per
process (lazily, on first use) so a django-q2 worker pays the load cost once.
"""
