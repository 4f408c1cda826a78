"""Retrain rules on the values of a real serving log, and their configuration."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from boucle.config import load_config
from boucle.config.loop import RetrainRuleConfig
from boucle.errors import ConfigError
from boucle.loop import evaluate_retrain_rules, loop_values, performance_drop
from boucle.monitoring import monitor_log
from boucle.registry import resolve_version
from boucle.store import ArtifactStore

pytestmark = pytest.mark.slow


def _held_out_metrics(project: Path) -> dict[str, float]:
    config = load_config(project)
    champion = resolve_version(config.stores.tracking or "", config.project, "champion")
    store = ArtifactStore(config.stores.root)
    manifest = json.loads(store.read_bytes(f"runs/{champion.boucle_run_id}.json"))
    metrics: dict[str, float] = manifest["steps"]["evaluate"]["manifest"]["metrics"]
    return metrics


def test_the_default_rules_fire_on_the_drifted_traffic(served_project: Path) -> None:
    config = load_config(served_project)
    monitoring = monitor_log(config, ref="champion")
    baseline = _held_out_metrics(served_project)
    values = loop_values(
        monitoring, baseline=baseline, labels={"new": 4000, "total": 4000}, hours_since_retrain=2.0
    )
    measured = monitoring.performance.overall.measured["roc_auc"].value
    assert measured is not None
    assert values["performance_drop"]["roc_auc"] == pytest.approx(baseline["roc_auc"] - measured)
    assert values["performance_drop"]["roc_auc"] > 0.05  # the champion lost on the new period
    assert values["performance"]["roc_auc"] == measured
    assert values["performance"]["labelled"] == 4000.0  # the five "maybe" are not labels
    assert values["drift"]["share_drifted"] > 0.3
    assert values["drift"]["features"]["age"]["drifted"] is True
    assert values["ops"]["requests"] >= 4205
    assert values["schedule"] == {"hours_since_retrain": 2.0}
    outcomes = evaluate_retrain_rules(config.retrain.rules, values)
    assert [(o.name, o.status) for o in outcomes] == [
        ("drift", "fired"), ("performance-drop", "fired"),
    ]  # fmt: skip
    assert outcomes[0].value == values["drift"]["share_drifted"] and outcomes[0].threshold == 0.3


def test_rules_without_a_value_do_not_fire() -> None:
    rules = [
        RetrainRuleConfig(name="drift", when="drift.share_drifted > 0.3"),
        RetrainRuleConfig(name="labels", when="labels.new >= 500"),
        RetrainRuleConfig(name="weekly", when="schedule.hours_since_retrain >= 168"),
    ]
    values = loop_values(None, baseline={}, labels={"new": 800, "total": 900},
                         hours_since_retrain=None)  # fmt: skip
    outcomes = {o.name: o for o in evaluate_retrain_rules(rules, values)}
    assert outcomes["drift"].status == "no_value"
    assert outcomes["drift"].reason == "no value at 'drift.share_drifted'"
    assert outcomes["labels"].status == "fired" and outcomes["labels"].value == 800.0
    assert outcomes["weekly"].status == "no_value"


def test_a_performance_drop_is_positive_when_worse_for_scores_and_losses() -> None:
    drops = performance_drop(
        {"roc_auc": 0.80, "rmse": 12.0, "f1": None, "accuracy": 0.9},
        {"roc_auc": 0.90, "rmse": 10.0, "f1": 0.7},
    )
    assert drops == {"roc_auc": pytest.approx(0.10), "rmse": pytest.approx(2.0)}


def test_a_bad_rule_is_a_config_error_naming_the_rule_and_line(tmp_path: Path) -> None:
    path = tmp_path / "boucle.yaml"
    path.write_text(
        "project: p\ntask: classification\ndata: {source: d.csv, target: y}\n"
        "retrain:\n  rules:\n    - name: drifty\n      when: drift.share_drifted =< 0.3\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    text = str(caught.value)
    assert "retrain rule 'drifty'" in text and "=< 0.3" in text and "boucle.yaml:7" in text
    path.write_text(
        "project: p\ntask: classification\ndata: {source: d.csv, target: y}\n"
        "retrain: {rules: [{name: a, when: labels.new > 1}, {name: a, when: labels.new > 2}]}\n"
    )
    with pytest.raises(ConfigError, match="repeated: a"):
        load_config(path)
    path.write_text(
        "project: p\ntask: classification\ndata: {source: d.csv, target: y}\n"
        "retrain: {lookback: 7d, window: {mode: sliding, size: 500}}\n"
    )
    retrain = load_config(path).retrain
    assert retrain.lookback == 7 * 86400 and retrain.window.mode == "sliding"
    assert [rule.name for rule in retrain.rules] == ["drift", "performance-drop"]
