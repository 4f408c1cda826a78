"""Old home of the alert-sink contract; it lives in :mod:`boucle.testing` now."""

from __future__ import annotations

from boucle.testing.alert_sinks import check_alert_sink, sample_alert

__all__ = ["check_alert_sink", "sample_alert"]
