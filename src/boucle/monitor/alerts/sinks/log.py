"""The ``log`` sink: the alert as one line on a Python logger."""

from __future__ import annotations

import json
import logging

from boucle.monitor.alerts.model import Alert

__all__ = ["LogSink"]

_LEVELS = {"info": logging.INFO, "warning": logging.WARNING, "critical": logging.CRITICAL}


class LogSink:
    """Write each alert to the logger ``logger`` at the level of its severity.

    The message is the alert's title followed by its JSON; nothing can fail but the logging
    handlers themselves.
    """

    def __init__(self, name: str = "log", *, logger: str = "boucle.alerts") -> None:
        self.name = name
        self.logger = logger

    def send(self, alert: Alert) -> None:
        """Log ``alert`` (info, warning or critical)."""
        level = _LEVELS.get(alert.severity, logging.WARNING)
        details = json.dumps(alert.to_dict(), sort_keys=True, default=str)
        logging.getLogger(self.logger).log(level, "alert %s %s", alert.title, details)
