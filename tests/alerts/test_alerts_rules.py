"""The rule grammar: parsing, evaluation, and errors that name the bad rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from boucle.config import parse_config
from boucle.errors import ConfigError
from boucle.monitor.alerts import RuleSyntaxError, parse_condition

BASE = """\
project: demo
task: classification
data: {source: data.csv, target: y}
"""


@pytest.mark.parametrize(
    ("text", "path", "op", "threshold"),
    [
        ("drift.share_drifted > 0.3", ("drift", "share_drifted"), ">", 0.3),
        ("performance.f1<0.75", ("performance", "f1"), "<", 0.75),
        ("ops.p99_ms >= 50", ("ops", "p99_ms"), ">=", 50.0),
        ("  drift.features.education-num.effect_size != -1.5e-2 ", None, "!=", -0.015),
        ("drift.dataset_drift == true", ("drift", "dataset_drift"), "==", 1.0),
        ("x <= .5", ("x",), "<=", 0.5),
    ],
)
def test_conditions_parse(
    text: str, path: tuple[str, ...] | None, op: str, threshold: float
) -> None:
    condition = parse_condition(text, rule="r")
    if path is not None:
        assert condition.path == path
    assert condition.operator == op
    assert condition.threshold == threshold


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("drift.share_drifted >> 0.3", "expected a number"),
        ("drift.share_drifted 0.3", "expected a comparison"),
        ("drift..share > 1", "expected a name after '.'"),
        ("> 0.3", "expected a name"),
        ("drift.share_drifted > 0.3 and 1", "expected a number"),
        ("drift.share_drifted > nan", "expected a number"),
        ("drift.share_drifted > 1e999", "not a finite number"),
        ("__import__('os').system('x') > 1", "expected a comparison"),
        ("drift.share_drifted >", "found ''"),
    ],
)
def test_bad_conditions_name_the_rule(text: str, fragment: str) -> None:
    with pytest.raises(RuleSyntaxError) as caught:
        parse_condition(text, rule="drift-high")
    message = str(caught.value)
    assert "alert rule 'drift-high'" in message
    assert repr(text) in message
    assert fragment in message


def test_evaluation_reads_nested_values_and_booleans() -> None:
    values = {"drift": {"share_drifted": 0.45, "dataset_drift": True, "label": "x"}}
    assert parse_condition("drift.share_drifted > 0.3").evaluate(values).triggered
    assert not parse_condition("drift.share_drifted > 0.5").evaluate(values).triggered
    assert parse_condition("drift.dataset_drift == true").evaluate(values).value == 1.0
    missing = parse_condition("performance.f1 < 0.7").evaluate(values)
    assert not missing.triggered and missing.reason == "no value at 'performance.f1'"
    text = parse_condition("drift.label > 1").evaluate(values)
    assert text.reason is not None and "str, not a number" in text.reason
    inside = parse_condition("drift.share_drifted.deeper > 1").evaluate(values)
    assert inside.reason is not None


def test_config_error_names_the_rule_and_line(tmp_path: Path) -> None:
    text = BASE + (
        "alerts:\n"
        "  rules:\n"
        "    - {name: ok-rule, when: 'drift.share_drifted > 0.3'}\n"
        "    - name: broken-rule\n"
        "      when: 'performance.f1 =< 0.75'\n"
    )
    with pytest.raises(ConfigError) as caught:
        parse_config(text, source=tmp_path / "boucle.yaml")
    message = str(caught.value)
    assert "broken-rule" in message and "'performance.f1 =< 0.75'" in message
    assert "boucle.yaml:8" in message  # the line of the bad `when`


@pytest.mark.parametrize(
    ("alerts", "fragment"),
    [
        ("rules: [{name: a, when: 'x > 1', sinks: [pager]}]", "sink 'pager', which is not defined"),
        ("rules: [{name: a, when: 'x > 1'}, {name: a, when: 'y > 1'}]", "used twice"),
        ("rules: [{name: a, when: 'x > 1', cooldown: soon}]", "is not a duration"),
        ("rules: [{name: 'a b', when: 'x > 1'}]", "should match pattern"),
        ("sinks: {hook: {type: webhook, url: 'ftp://example.org/x'}}", "http:// or https://"),
        (
            "sinks: {hook: {type: webhook, url: 'https://user:pw@example.org/x'}}",
            "must not carry user:password",
        ),
        ("sinks: {hook: {type: webhook}}", "exactly one of url or url_env"),
        (
            "sinks: {hook: {type: webhook, url: 'https://e.org', headers_env: {X-Token: 'a b'}}}",
            "not an environment variable name",
        ),
        ("sinks: {mail: {type: smtp, host: h, sender: a@b, to: [x], password: p}}", "password"),
        ("sinks: {hook: {type: pager}}", "does not match any of the expected tags"),
    ],
)
def test_bad_alert_config_is_a_config_error(tmp_path: Path, alerts: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(BASE + f"alerts: {{{alerts}}}\n", source=tmp_path / "boucle.yaml")
    assert fragment in str(caught.value)


def test_cooldown_durations(tmp_path: Path) -> None:
    text = BASE + (
        "alerts:\n  rules:\n"
        "    - {name: a, when: 'x > 1', cooldown: 90}\n"
        "    - {name: b, when: 'x > 1', cooldown: 15m}\n"
        "    - {name: c, when: 'x > 1', cooldown: 1.5h}\n"
        "    - {name: d, when: 'x > 1', cooldown: 2d}\n"
    )
    config = parse_config(text, source=tmp_path / "boucle.yaml")
    assert [r.cooldown for r in config.alerts.rules] == [90.0, 900.0, 5400.0, 172800.0]
    assert config.alerts.rules[0].sinks == ["log"]
