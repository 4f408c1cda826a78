"""Dispatch: cooldowns kept in the ledger (SQLite and PostgreSQL), failures recorded and
never raised, plug-in sinks, dry runs and the sink contract."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from boucle.config import parse_config
from boucle.errors import ConfigError
from boucle.ledger import Ledger
from boucle.monitor.alerts import (
    Alert,
    AlertRule,
    AlertSinkError,
    LogSink,
    RetryPolicy,
    check_alert_sink,
    evaluate_rules,
    fire_alerts,
    fire_configured_alerts,
    last_delivered,
    parse_condition,
    send_test_alert,
)


class Collecting:
    """A plug-in sink that keeps what it is sent (a real implementation of the protocol)."""

    def __init__(self, name: str = "collect") -> None:
        self.name = name
        self.alerts: list[Alert] = []

    def send(self, alert: Alert) -> None:
        self.alerts.append(alert)


class Broken:
    """A plug-in sink with a bug: it raises a plain exception."""

    name = "broken"

    def send(self, alert: Alert) -> None:
        raise RuntimeError("plug-in bug")


class Refusing:
    """A sink that refuses permanently."""

    name = "refusing"

    def __init__(self) -> None:
        self.calls = 0

    def send(self, alert: Alert) -> None:
        self.calls += 1
        raise AlertSinkError("quota exhausted", transient=False)


def _rule(cooldown: float = 3600.0, sinks: tuple[str, ...] = ("collect",)) -> AlertRule:
    return AlertRule(
        "drift-high",
        parse_condition("drift.share_drifted > 0.3"),
        severity="critical",
        cooldown_s=cooldown,
        sinks=sinks,
    )


HIGH = {"drift": {"share_drifted": 0.5}}
FAST = RetryPolicy(attempts=2, backoff_s=0.0)


def test_cooldown_is_honoured_through_the_ledger(ledger_url: str) -> None:
    sink = Collecting()
    now = datetime.now(UTC)

    def fire(at: datetime) -> str:
        # A new Ledger each time: the cooldown state lives in the database, not in memory.
        with Ledger(ledger_url) as ledger:
            [outcome] = fire_alerts(
                [_rule(cooldown=1800)],
                HIGH,
                sinks={"collect": sink},
                ledger=ledger,
                project="demo",
                policy=FAST,
                now=at,
            )
        return outcome.status

    assert fire(now) == "fired"
    assert fire(now + timedelta(minutes=10)) == "cooldown"
    assert fire(now + timedelta(minutes=29)) == "cooldown"
    assert fire(now + timedelta(minutes=31)) == "fired"
    assert len(sink.alerts) == 2
    with Ledger(ledger_url) as ledger:
        events = ledger.events(kind="alert_fired")
        assert ledger.verify().ok
        assert set(last_delivered(ledger)) == {"drift-high"}
    assert [e.payload["sinks"] for e in events] == [{"collect": "sent"}] * 2
    payload = events[0].payload
    assert {k: payload[k] for k in ("rule", "severity", "value", "threshold")} == {
        "rule": "drift-high",
        "severity": "critical",
        "value": 0.5,
        "threshold": 0.3,
    }


def test_undelivered_alert_starts_no_cooldown(ledger_url: str) -> None:
    refusing = Refusing()
    with Ledger(ledger_url) as ledger:
        for _ in range(2):
            [outcome] = fire_alerts(
                [_rule(sinks=("refusing",))],
                HIGH,
                sinks={"refusing": refusing},
                ledger=ledger,
                project="demo",
                policy=FAST,
            )
            assert outcome.status == "fired" and not outcome.delivered
        assert refusing.calls == 2  # permanent failure: not retried, but fired again next time
        assert last_delivered(ledger) == {}


def test_sink_failures_are_recorded_never_raised(tmp_path: Path) -> None:
    collect, refusing = Collecting(), Refusing()
    with Ledger(f"sqlite:///{tmp_path / 'ledger.db'}") as ledger:
        [outcome] = fire_alerts(
            [_rule(sinks=("broken", "refusing", "collect", "absent"))],
            HIGH,
            sinks={"broken": Broken(), "refusing": refusing, "collect": collect},
            ledger=ledger,
            project="demo",
            policy=RetryPolicy(attempts=3, backoff_s=0.0),
        )
        [event] = ledger.events(kind="alert_fired")
    assert outcome.delivered and len(collect.alerts) == 1
    assert event.payload["sinks"] == {
        "broken": "failed: RuntimeError: plug-in bug (after 3 attempts)",
        "refusing": "failed: quota exhausted",
        "collect": "sent",
        "absent": "failed: no sink named 'absent'",
    }
    assert event.payload["attempts"] == {"broken": 3, "refusing": 1, "collect": 1, "absent": 0}


def test_quiet_and_unevaluable_rules_fire_nothing(tmp_path: Path) -> None:
    rules = [
        _rule(),
        AlertRule("f1-low", parse_condition("performance.f1 < 0.75"), sinks=("collect",)),
    ]
    sink = Collecting()
    with Ledger(f"sqlite:///{tmp_path / 'ledger.db'}") as ledger:
        outcomes = fire_alerts(
            rules,
            {"drift": {"share_drifted": 0.1}},
            sinks={"collect": sink},
            ledger=ledger,
            project="demo",
        )
        assert ledger.events(kind="alert_fired") == []
    assert [o.status for o in outcomes] == ["quiet", "no_value"]
    assert outcomes[1].reason == "no value at 'performance.f1'"
    assert sink.alerts == []
    dry = evaluate_rules(rules, {"drift": {"share_drifted": 0.9}, "performance": {"f1": 0.7}})
    assert [o.status for o in dry] == ["triggered", "triggered"]


def test_namespaces_select_rules(tmp_path: Path) -> None:
    rules = [
        _rule(),
        AlertRule("p99", parse_condition("ops.p99_ms > 50"), sinks=("collect",)),
    ]
    values = {"drift": {"share_drifted": 0.9}, "ops": {"p99_ms": 80}}
    with Ledger(f"sqlite:///{tmp_path / 'ledger.db'}") as ledger:
        outcomes = fire_alerts(
            rules, values, sinks={"collect": Collecting()}, ledger=ledger, project="demo",
            namespaces={"drift"},
        )  # fmt: skip
    assert [o.rule for o in outcomes] == ["drift-high"]


def test_configured_alerts_and_test_alert(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    text = f"""\
project: demo
task: classification
data: {{source: data.csv, target: y}}
stores: {{root: {tmp_path / ".boucle"}}}
alerts:
  attempts: 2
  backoff_s: 0
  rules:
    - {{name: drift-high, when: "drift.share_drifted > 0.3", severity: critical}}
"""
    config = parse_config(text, source=tmp_path / "boucle.yaml")
    collect = Collecting("log")
    with Ledger(config.stores.ledger or "") as ledger, caplog.at_level(logging.INFO):
        [outcome] = fire_configured_alerts(config, HIGH, ledger=ledger, run_id="r-1")
        # A plug-in sink given by name replaces the configured one of that name.
        test = send_test_alert(config, "log", ledger=ledger, extra_sinks={"log": collect})
        with pytest.raises(ConfigError, match="no alert sink named 'pager'"):
            send_test_alert(config, "pager", ledger=ledger)
        events = ledger.events(kind="alert_fired")
    assert outcome.sinks == {"log": "sent"}
    assert test.sinks == {"log": "sent"}
    assert collect.alerts[0].rule == "(test)" and collect.alerts[0].project == "demo"
    assert [e.payload["rule"] for e in events] == ["drift-high", "(test)"]
    assert events[0].run_id == "r-1"
    [record] = [r for r in caplog.records if r.name == "boucle.alerts"]
    assert record.levelno == logging.CRITICAL
    assert "drift.share_drifted = 0.5 > 0.3 (demo)" in record.getMessage()


def test_builtin_and_plugin_sinks_against_the_contract() -> None:
    check_alert_sink(LogSink())
    check_alert_sink(Collecting())
    with pytest.raises(AssertionError, match="raise AlertSinkError"):
        check_alert_sink(Broken())
    with pytest.raises(AssertionError, match="attempt 1 failed"):
        check_alert_sink(Refusing())
    check_alert_sink(Refusing(), expect_delivery=False)
    with pytest.raises(AssertionError, match="is not an AlertSink"):
        check_alert_sink(object())

    class BadName(Collecting):
        name = "has space"

    with pytest.raises(AssertionError, match="sink name"):
        check_alert_sink(BadName("has space"))


def test_retry_policy_doubles_up_to_the_cap() -> None:
    policy = RetryPolicy(attempts=6, backoff_s=0.5, backoff_max_s=3.0)
    assert [policy.delay(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]
