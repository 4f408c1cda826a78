"""The error of the packaging step."""

from __future__ import annotations

from boucle.errors import BoucleError

__all__ = ["PackageError"]


class PackageError(BoucleError):
    """A bundle cannot be built or written: no export to bundle, output folder in the way."""
