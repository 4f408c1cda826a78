"""``alerts:``, ``gates:`` and ``retrain:`` of boucle.yaml: the operating loop."""

from __future__ import annotations

from boucle.config.base import Section

__all__ = ["AlertsConfig", "GatesConfig"]


class AlertsConfig(Section):
    """``alerts:`` rules on monitored values and the sinks they go to."""


class GatesConfig(Section):
    """``gates:`` what a challenger must pass to replace the champion."""
