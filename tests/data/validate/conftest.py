"""Fixtures for the data-gate tests: the real datasets come from tests/conftest.py.

The frames are shared: a test that changes one works on ``.copy()``.
"""
