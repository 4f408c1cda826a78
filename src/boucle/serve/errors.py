"""The serving error: a bad serve configuration, a refused model or a rejected route update.

``ServeError`` joins the one exception tree of :mod:`boucle.errors`; like every
:class:`~boucle.errors.BoucleError`, its message quotes the bad value and its hint says how to
fix it. Request errors (bad JSON, invalid records) are not exceptions of this tree: they become
HTTP responses with the same message-and-hint shape.
"""

from __future__ import annotations

from boucle.errors import BoucleError

__all__ = ["ServeError"]


class ServeError(BoucleError):
    """Serving failed: bad serve configuration, refused model or invalid route update."""
