"""Fixtures for the artifact-store tests (S3 and datasets come from tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def local_root(tmp_path: Path) -> Path:
    """A not-yet-existing local store root inside ``tmp_path``."""
    return tmp_path / "boucle"
