"""What an alert is, and the contract every sink implements (:class:`AlertSink`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, runtime_checkable

from boucle.errors import BoucleError

__all__ = ["Alert", "AlertSink", "AlertSinkError"]


class AlertSinkError(BoucleError):
    """A sink could not deliver an alert.

    ``transient`` says whether trying again may help (a timeout, HTTP 503) or not (a refused
    address, HTTP 400, a missing secret): only transient failures are retried.
    """

    def __init__(self, message: str, *, transient: bool, hint: str | None = None) -> None:
        self.transient = transient
        super().__init__(message, hint=hint)


@dataclass(frozen=True)
class Alert:
    """One alert: which rule fired, on what value, and where it comes from.

    ``value`` is the number the rule compared, ``threshold`` and ``operator`` its condition;
    ``time`` is UTC ISO 8601. ``context`` carries facts for the reader (model version, run).
    """

    rule: str
    severity: str
    when: str
    value: float | None
    threshold: float | None
    operator: str
    project: str
    time: str
    run_id: str | None = None
    context: dict[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        """One line: ``[warning] drift-high: drift.share_drifted = 0.45 > 0.3 (adult)``."""
        if self.value is None:
            return f"[{self.severity}] {self.rule}: {self.when} ({self.project})"
        path = self.when.split(self.operator, 1)[0].strip() if self.operator else self.when
        threshold = "?" if self.threshold is None else f"{self.threshold:g}"
        return (
            f"[{self.severity}] {self.rule}: {path} = {self.value:g} {self.operator} "
            f"{threshold} ({self.project})"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (what a webhook receives)."""
        return {"title": self.title, **asdict(self)}


@runtime_checkable
class AlertSink(Protocol):
    """Where alerts go. A plug-in sink needs only a ``name`` and ``send``.

    ``send`` delivers one alert or raises :class:`AlertSinkError` (``transient=True`` when a
    retry may succeed). Any other exception counts as a transient failure. A sink must not
    retry by itself: the dispatcher retries with backoff and records the outcome.
    Check an implementation with :func:`boucle.monitor.alerts.check_alert_sink`.
    """

    name: str

    def send(self, alert: Alert) -> None:
        """Deliver ``alert``; raise :class:`AlertSinkError` when it could not be."""
        ...
