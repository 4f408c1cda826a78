"""``check_alert_sink``: the executable contract of :class:`~boucle.monitor.alerts.AlertSink`.

The alerts package is imported inside the functions: it re-exports this module's functions
under their old path (``boucle.monitor.alerts.conformance``), and importing it here at
module level would make the two modules import each other.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, cast

from boucle.testing.errors import NAME, Verdict, describe

if TYPE_CHECKING:
    from boucle.monitor.alerts.model import Alert, AlertSink

__all__ = ["check_alert_sink", "sample_alert"]

_HINT = (
    "An alert sink has a 'name' and 'send(alert)' that returns None when it delivered and "
    "raises AlertSinkError(message, transient=...) when it could not; see docs/plugins.md."
)


def sample_alert() -> Alert:
    """A representative alert to send in conformance tests."""
    from boucle.monitor.alerts.model import Alert

    return Alert(
        rule="conformance",
        severity="warning",
        when="drift.share_drifted > 0.3",
        value=0.5,
        threshold=0.3,
        operator=">",
        project="conformance",
        time="2026-01-01T00:00:00+00:00",
        run_id="conformance-run",
        context={"model_version": "1"},
    )


def check_alert_sink(sink: object, *, expect_delivery: bool = True, send: bool = True) -> None:
    """Raise :class:`~boucle.testing.ConformanceError` naming how ``sink`` breaks the contract.

    Checks: a ``name`` usable in boucle.yaml; ``send(alert)`` taking one alert; ``send``
    returning None when it delivers; failures raised as
    :class:`~boucle.monitor.alerts.AlertSinkError` with a ``transient`` flag (never another
    exception type). With ``expect_delivery`` (default) the sink must deliver the sample
    alert twice in a row (sinks hold no per-alert state). ``send=False`` checks the shape
    only and sends nothing (what ``boucle plugins list`` does).
    """
    from boucle.monitor.alerts.model import AlertSink, AlertSinkError

    verdict = Verdict(describe("alert sink", sink), "check_alert_sink", _HINT)
    verdict.expect(
        isinstance(sink, AlertSink),
        "protocol",
        f"{type(sink).__name__} is not an AlertSink: it needs a 'name' attribute and a "
        "'send(alert)' method",
    )
    typed = cast("AlertSink", sink)
    name = getattr(sink, "name", None)
    verdict.expect(
        isinstance(name, str) and bool(NAME.match(name)) and ":" not in name,
        "name",
        f"sink name {name!r} must be a str of letters, digits, '.', '_' or '-'",
    )
    parameters = [
        p
        for p in inspect.signature(typed.send).parameters.values()
        if p.default is inspect.Parameter.empty
        and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    verdict.expect(
        len(parameters) == 1,
        "send signature",
        f"sink '{name}': send() must take exactly one required argument (the alert), "
        f"takes {[p.name for p in parameters]}",
    )
    if not send:
        return
    for attempt in (1, 2):
        try:
            result: object = typed.send(sample_alert())  # type: ignore[func-returns-value]
        except AlertSinkError as exc:
            verdict.expect(
                isinstance(exc.transient, bool),
                "failure",
                f"sink '{name}': AlertSinkError.transient must be a bool",
            )
            verdict.expect(
                not expect_delivery, "delivery", f"sink '{name}': attempt {attempt} failed: {exc}"
            )
            return
        except Exception as exc:
            verdict.fail(
                "failure",
                f"sink '{name}': send() raised {type(exc).__name__} ({exc}); raise "
                "AlertSinkError(message, transient=...) so the dispatcher knows whether to retry",
            )
        verdict.expect(
            result is None,
            "send result",
            f"sink '{name}': send() must return None, returned {result!r}",
        )
