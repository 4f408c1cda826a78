"""``features:`` and ``quality:`` of boucle.yaml: the project's own code, and its quality gate."""

from __future__ import annotations

from boucle.config.base import Section

__all__ = ["QualityConfig"]


class QualityConfig(Section):
    """``quality:`` ruff and the project's tests on its own code, before anything else."""
