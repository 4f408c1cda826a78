"""Errors of the closed loop.

::

    BoucleError
    └── LoopBusyError     another ``boucle loop`` of the project holds the loop lock
"""

from __future__ import annotations

from boucle.errors import BoucleError

__all__ = ["LoopBusyError"]


class LoopBusyError(BoucleError):
    """Another ``boucle loop`` iteration of the same project is running right now."""
