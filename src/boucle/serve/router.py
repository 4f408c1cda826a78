"""A/B routing: a weighted random draw per request, or a sticky one from a hashed key.

Each route owns the interval ``[start, start + weight)`` of ``[0, 1)``. A request without a
sticky key draws a uniform number from the router's own random generator; a request with one
takes ``blake3(domain || key)`` read as a 64-bit fraction, so the same key always lands on the
same route (in every process, across restarts) while the weights stay the same, and changing
a weight moves only the keys in the changed part of the interval. Zero-weight routes are never
chosen. The shadow alias is kept beside the routes; it never answers a request.
"""

from __future__ import annotations

import bisect
import logging
import math
import random
from collections.abc import Collection
from typing import Any

from boucle.hashing import blake3_hex
from boucle.serve.config import RoutingConfig

__all__ = ["Router", "sticky_fraction"]

_log = logging.getLogger("boucle.serve")
_STICKY_DOMAIN = b"boucle.serve.sticky\x00"


def sticky_fraction(key: str) -> float:
    """The position of ``key`` in ``[0, 1)``: its blake3 digest read as a 64-bit fraction."""
    digest = blake3_hex(_STICKY_DOMAIN, key.encode("utf-8"))
    return int(digest[:16], 16) / 2.0**64


class Router:
    """Picks the alias that answers a request, from the routing configuration.

    ``servable`` lists the aliases actually loaded: routes to other aliases are dropped and
    the remaining weights rescaled (logged as a warning unless ``warn`` is false), so that a
    refused challenger does not take the champion down; :attr:`ready` is false when no route
    with weight is left. ``rng`` draws the random routes (default: a fresh generator).
    """

    def __init__(
        self,
        routing: RoutingConfig,
        servable: Collection[str],
        *,
        rng: random.Random | None = None,
        warn: bool = True,
    ) -> None:
        self.routing = routing
        self.sticky_key = routing.sticky_key
        kept = [r for r in routing.routes if r.alias in servable and r.weight > 0]
        total = math.fsum(r.weight for r in kept)
        self.weights = {r.alias: r.weight / total for r in kept} if total > 0 else {}
        dropped = [r.alias for r in routing.routes if r.alias not in servable]
        if dropped and warn:
            _log.warning(
                "routes to %s dropped (model not loaded); effective weights: %s",
                ", ".join(dropped),
                self.weights or "none: not ready",
            )
        self.shadow = routing.shadow if routing.shadow in servable else None
        if routing.shadow and self.shadow is None and warn:
            _log.warning("shadow %r is not loaded: shadow scoring is off", routing.shadow)
        self._aliases = list(self.weights)
        self._bounds: list[float] = []
        cumulative = 0.0
        for alias in self._aliases:
            cumulative += self.weights[alias]
            self._bounds.append(cumulative)
        self._random = (rng or random.Random()).random

    @property
    def ready(self) -> bool:
        """Whether at least one route can answer."""
        return bool(self._aliases)

    @property
    def primary(self) -> str | None:
        """The alias with the largest weight (the one documented in the OpenAPI schema)."""
        return max(self.weights, key=self.weights.__getitem__) if self.weights else None

    def choose(self, key: str | None = None) -> str:
        """The alias answering a request whose sticky key is ``key`` (``None``: draw at random).

        Call only when :attr:`ready`.
        """
        fraction = self._random() if key is None else sticky_fraction(key)
        index = bisect.bisect_right(self._bounds, fraction)
        # Float sums can end a hair below 1: a fraction past the last bound takes the last.
        return self._aliases[min(index, len(self._aliases) - 1)]

    def key_of(self, body: Any) -> str | None:
        """The sticky key of a parsed request body (the first record's), or ``None``.

        Only strings and integers are keys; a list goes where its first record goes.
        """
        name = self.sticky_key
        if name is None:
            return None
        record = body[0] if isinstance(body, list) and body else body
        if not isinstance(record, dict):
            return None
        value = record.get(name)
        if isinstance(value, str):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return None
