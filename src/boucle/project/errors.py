"""The error of the project's own quality gate (the rest of the tree is in boucle.errors)."""

from __future__ import annotations

from boucle.errors import BoucleError

__all__ = ["QualityError"]


class QualityError(BoucleError):
    """The project's quality policy (``quality.block_on``) refused a registration."""
