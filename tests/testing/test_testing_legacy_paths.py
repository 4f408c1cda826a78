"""The conformance checks moved to boucle.testing; their old import paths still work."""

from __future__ import annotations

import pytest

from boucle.monitor.alerts import LogSink
from boucle.monitor.alerts import check_alert_sink as from_alerts_package
from boucle.monitor.alerts.conformance import check_alert_sink, sample_alert
from boucle.registry.gates import GateCheck, GateContext
from boucle.registry.gates_conformance import check_gate
from boucle.testing import ConformanceError, sample_gate_contexts
from boucle.testing import check_alert_sink as new_check_alert_sink


class Rows:
    name = "rows"

    def check(self, context: GateContext) -> GateCheck:
        return GateCheck.outcome(self.name, True, len(context.y), 0, f"{len(context.y)} rows")


class Crashing(Rows):
    def check(self, context: GateContext) -> GateCheck:
        raise ZeroDivisionError("plug-in bug")


def test_old_alert_sink_paths_are_the_new_function() -> None:
    assert check_alert_sink is new_check_alert_sink is from_alerts_package
    assert sample_alert().rule == "conformance"
    check_alert_sink(LogSink("log"))
    with pytest.raises(AssertionError, match="is not an AlertSink"):
        check_alert_sink(object())


def test_old_check_gate_returns_the_check_and_lets_a_crash_through() -> None:
    with sample_gate_contexts() as (context, _):
        found = check_gate(Rows(), context)
        assert found.name == "rows" and found.passed and found.value == len(context.y)
        with pytest.raises(ZeroDivisionError):
            check_gate(Crashing(), context)

        class Misnamed(Rows):
            def check(self, context: GateContext) -> GateCheck:
                return GateCheck.skipped("other", "named after another gate")

        with pytest.raises(ConformanceError, match="its check is named 'other'"):
            check_gate(Misnamed(), context)
