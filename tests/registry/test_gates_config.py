"""``gates:`` of boucle.yaml: defaults, validation errors that name the bad value."""

from __future__ import annotations

from pathlib import Path

import pytest

from boucle.config import BoucleConfig, parse_config
from boucle.errors import ConfigError
from boucle.registry.gates_run import compared_metric

BASE = "project: demo\ntask: {task}\ndata: {{source: d.csv, target: y}}\n"


def _parse(tmp_path: Path, gates: str, task: str = "classification") -> BoucleConfig:
    return parse_config(BASE.format(task=task) + gates, source=tmp_path / "boucle.yaml")


def test_defaults(tmp_path: Path) -> None:
    gates = _parse(tmp_path, "").gates
    assert (gates.test, gates.confidence, gates.min_improvement) == ("bootstrap", 0.95, 0.0)
    assert gates.require_parity and gates.require_data_checks and gates.metrics == {}


@pytest.mark.parametrize(
    ("gates", "fragment"),
    [
        ("gates: {metrics: {auc: 0.8}}", "'auc' is not a metric"),
        ("gates: {metric: brier}", "cannot be compared"),
        ("gates: {test: mcnemar, metric: roc_auc}", "compares per-row correctness"),
        ("gates: {test: wilcoxon}", "'bootstrap' or 'mcnemar'"),
        ("gates: {confidence: 1.5}", "less than 1"),
        ("gates: {slice_tolerence: 0.1}", "did you mean 'slice_tolerance'"),
    ],
)
def test_bad_gates_are_config_errors(tmp_path: Path, gates: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _parse(tmp_path, gates + "\n")
    assert fragment in str(caught.value)


def testcompared_metric_must_suit_the_task(tmp_path: Path) -> None:
    classification = _parse(tmp_path, "train: {search: {metric: pr_auc}}\n")
    assert compared_metric(classification, "binary") == "pr_auc"
    mcnemar = _parse(tmp_path, "gates: {test: mcnemar}\n")
    assert compared_metric(mcnemar, "binary") == "accuracy"
    with pytest.raises(ConfigError, match="compares classifiers"):
        compared_metric(mcnemar, "regression")
    wrong = _parse(tmp_path, "gates: {metric: rmse}\n")
    with pytest.raises(ConfigError, match="'rmse' does not apply to a binary model"):
        compared_metric(wrong, "binary")
