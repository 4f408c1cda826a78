"""An executable contract for alert sinks: :func:`check_alert_sink` (in the spirit of
scikit-learn's ``check_estimator``). Plug-in authors call it in their tests."""

from __future__ import annotations

import inspect
import re

from boucle.monitor.alerts.model import Alert, AlertSink, AlertSinkError

__all__ = ["check_alert_sink", "sample_alert"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def sample_alert() -> Alert:
    """A representative alert to send in conformance tests."""
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


def check_alert_sink(sink: object, *, expect_delivery: bool = True) -> None:
    """Raise AssertionError naming the first way ``sink`` breaks the :class:`AlertSink` contract.

    Checks: a ``name`` usable in boucle.yaml; ``send(alert)`` taking one alert; ``send``
    returning None when it delivers; failures raised as :class:`AlertSinkError` with a
    ``transient`` flag (never another exception type). With ``expect_delivery`` (default)
    the sink must deliver the sample alert twice in a row (sinks hold no per-alert state).
    """
    assert isinstance(sink, AlertSink), (
        f"{type(sink).__name__} is not an AlertSink: it needs a 'name' attribute and a "
        "'send(alert)' method"
    )
    name = getattr(sink, "name", None)
    assert isinstance(name, str) and _NAME.match(name), (
        f"sink name {name!r} must be a str of letters, digits, '.', '_' or '-'"
    )
    parameters = [
        p
        for p in inspect.signature(sink.send).parameters.values()
        if p.default is inspect.Parameter.empty
        and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    assert len(parameters) == 1, (
        f"sink '{name}': send() must take exactly one required argument (the alert), "
        f"takes {[p.name for p in parameters]}"
    )
    for attempt in (1, 2):
        try:
            result: object = sink.send(sample_alert())  # type: ignore[func-returns-value]
        except AlertSinkError as exc:
            assert isinstance(exc.transient, bool), (
                f"sink '{name}': AlertSinkError.transient must be a bool"
            )
            assert not expect_delivery, f"sink '{name}': attempt {attempt} failed: {exc}"
            return
        except Exception as exc:
            raise AssertionError(
                f"sink '{name}': send() raised {type(exc).__name__} ({exc}); raise "
                "AlertSinkError(message, transient=...) so the dispatcher knows whether to retry"
            ) from exc
        assert result is None, f"sink '{name}': send() must return None, returned {result!r}"
