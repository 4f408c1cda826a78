"""Durations in boucle.yaml: a number of seconds, or a number with a unit (``"15m"``, ``"1h"``).

Alert cooldowns and loop intervals accept both forms; :func:`parse_duration` turns either into
seconds and raises ``ValueError`` (which pydantic reports against the field) for anything else.
"""

from __future__ import annotations

import re

__all__ = ["parse_duration"]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$")
_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(value: float | int | str) -> float:
    """Seconds of a duration: a number of seconds, or ``"90s"``, ``"15m"``, ``"1h"``, ``"1d"``."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = _DURATION.match(value)
        if match is None:
            raise ValueError(
                f"{value!r} is not a duration; write seconds (300) or a number with a unit "
                "s, m, h or d ('15m', '1h', '1d')"
            )
        seconds = float(match.group(1)) * _UNITS[match.group(2) or "s"]
    if seconds < 0:
        raise ValueError(f"a duration cannot be negative, got {value!r}")
    return seconds
