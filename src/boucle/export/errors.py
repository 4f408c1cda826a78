"""The export error; it lives in :mod:`boucle.errors` with the rest of the tree."""

from __future__ import annotations

from boucle.errors import ExportError

__all__ = ["ExportError"]
