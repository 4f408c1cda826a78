"""Plug-ins in their places: train.model, data.checks.custom, drift tests, gates.custom,
alert sinks of a plug-in type; and the errors each place gives for a bad one."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from boucle.config import parse_config
from boucle.config.checks import ChecksConfig
from boucle.config.models import TrainConfig
from boucle.config.operate import GatesConfig
from boucle.data.validate import raise_for_errors, run_checks
from boucle.errors import ConfigError, DataError, TrainingError
from boucle.ledger import Ledger
from boucle.monitor import ReferenceProfile, compute_drift
from boucle.monitor.alerts import configured_sinks, send_test_alert
from boucle.plugins.drift_builtins import builtin_drift_tests
from boucle.registry.gates_run import custom_gates
from boucle.train.estimators import get_estimator_spec
from boucle.train.search import fit_model

BASE = "project: demo\ntask: classification\ndata: {source: data.csv, target: target}\n"


@pytest.fixture
def german_sample(german: pd.DataFrame) -> pd.DataFrame:
    return german.sample(300, random_state=0).reset_index(drop=True)


def test_a_plugin_model_is_searched_and_fitted(
    installed: Path, german_sample: pd.DataFrame
) -> None:
    assert TrainConfig(model="demo_logistic").model == "demo_logistic"
    spec = get_estimator_spec("demo_logistic")
    assert spec.searchable and spec.onnx_convertible
    assert spec.default_params == {"C": 1.0, "max_iter": 500, "random_state": None}
    x = german_sample.drop(columns=["creditability"])
    y = (german_sample["creditability"] == "bad").to_numpy().astype(np.int64)
    result = fit_model(x, y, task_kind="binary", model="demo_logistic", trials=3,
                       timeout_s=None, metric="roc_auc", seed=3)  # fmt: skip
    assert result.trials_completed == 3 and len(result.trial_scores) == 3
    assert result.pipeline[-1].random_state == 3  # boucle sets the seed
    again = fit_model(x, y, task_kind="binary", model="demo_plugins:DemoLogistic", trials=3,
                      timeout_s=None, metric="roc_auc", seed=3)  # fmt: skip
    assert again.best_params == result.best_params
    with pytest.raises(TrainingError, match="is not a regressor; the task is regression"):
        fit_model(x, y.astype(float), task_kind="regression", model="demo_logistic", trials=0,
                  timeout_s=None, metric="rmse", seed=3)  # fmt: skip


def test_a_model_without_search_space_fits_its_defaults(
    installed: Path, german_sample: pd.DataFrame
) -> None:
    x = german_sample.drop(columns=["creditability"])
    y = (german_sample["creditability"] == "bad").to_numpy().astype(np.int64)
    result = fit_model(x, y, task_kind="binary", model="sklearn.naive_bayes:GaussianNB",
                       trials=5, timeout_s=None, metric="roc_auc", seed=0)  # fmt: skip
    assert result.trials_completed == 0 and result.validation is None
    assert not get_estimator_spec("sklearn.naive_bayes:GaussianNB").onnx_convertible


def test_unknown_models_list_the_plugins(installed: Path) -> None:
    with pytest.raises(TrainingError, match=r"Valid models: lightgbm, .*, demo_logistic"):
        get_estimator_spec("demo")
    with pytest.raises(ValueError, match=r"unknown model 'catboost'.*demo_logistic"):
        TrainConfig(model="catboost")


def test_custom_data_checks_run_after_the_builtins(
    installed_broken: Path, german_sample: pd.DataFrame
) -> None:
    frame = german_sample.copy()
    frame.loc[:4, "duration_in_month"] = -1
    config = ChecksConfig.model_validate(
        {"schema": {"path": None},
         "custom": ["no_negative",
                    {"name": "demo_plugins:NoNegative", "severity": "warn",
                     "options": {"columns": ["age_in_years"]}},
                    {"name": "crashy", "severity": "off"}]}
    )  # fmt: skip
    report = run_checks(frame, target="creditability", task="classification", config=config)
    mine = [r for r in report.results if r.name == "no_negative"]
    failed = [r for r in mine if not r.passed]
    assert [(r.column, r.severity) for r in failed] == [("duration_in_month", "error")]
    assert failed[0].details == {"negative": 5}
    assert ("age_in_years", "warn") in [(r.column, r.severity) for r in mine]
    assert "crashy (severity off)" in report.skipped
    with pytest.raises(DataError, match="no_negative\\[duration_in_month\\]: 5 negative values"):
        raise_for_errors(report)


def test_a_crashing_custom_check_fails_closed(
    installed_broken: Path, german_sample: pd.DataFrame
) -> None:
    config = ChecksConfig.model_validate({"schema": {"path": None}, "custom": ["crashy"]})
    report = run_checks(german_sample, target="creditability", task="classification",
                        config=config)  # fmt: skip
    (crashy,) = [r for r in report.results if r.name == "crashy"]
    assert not crashy.passed and crashy.severity == "error"
    assert "raised KeyError" in crashy.message and "counted as failed" in crashy.message
    assert not report.passed


def test_custom_check_config_errors(installed: Path) -> None:
    with pytest.raises(ValueError, match="'missing' is a built-in check: configure it under"):
        ChecksConfig.model_validate({"custom": ["missing"]})
    with pytest.raises(ValueError, match=r"unknown data check 'no_negatives'.*no_negative"):
        ChecksConfig.model_validate({"custom": ["no_negatives"]})


def test_plugin_drift_tests_join_each_feature_row(installed_broken: Path) -> None:
    rng = np.random.default_rng(0)
    reference = pd.DataFrame({"x": rng.normal(size=3000), "c": rng.choice(list("abc"), 3000)})
    current = pd.DataFrame({"x": rng.normal(1.0, size=800), "c": rng.choice(list("abc"), 800)})
    profile = ReferenceProfile.from_frame(reference)
    report = compute_drift(profile, current, tests=["mean_shift"])
    rows = {row.feature: row for row in report.features}
    assert rows["x"].statistics["mean_shift"] == pytest.approx(1.0, abs=0.1)
    assert "mean_shift" not in rows["c"].statistics  # a numeric-only test
    assert "mean_shift" not in rows["x"].p_values  # descriptive: no p-value
    # In chunks the same: plug-in tests see the whole window.
    chunks = [current.iloc[:300], current.iloc[300:]]
    chunked = compute_drift(profile, chunks, tests=["demo_plugins:MeanShift"])
    assert chunked.features[0].statistics["mean_shift"] == rows["x"].statistics["mean_shift"]
    with pytest.raises(DataError, match="'ks' are built in: always computed"):
        compute_drift(profile, current, tests=[builtin_drift_tests()[0]])

    class Failing:
        name = "failing"
        kinds = ("categorical",)

        def compare(self, reference: object, values: object) -> object:
            raise RuntimeError("boom")

    with pytest.raises(DataError, match="drift test plug-in 'failing' failed on feature 'c'"):
        compute_drift(profile, current, tests=[Failing()])


def test_a_plugin_p_value_counts_in_the_verdict(installed: Path) -> None:
    from boucle.plugins.protocols import DriftStatistic

    class Alarm:
        name = "alarm"
        kinds = ("numeric", "categorical")

        def compare(self, reference: object, values: object) -> DriftStatistic:
            return DriftStatistic(1.0, 1e-12)

    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"x": rng.normal(size=2000)})
    profile = ReferenceProfile.from_frame(frame)
    calm = compute_drift(profile, frame.sample(500, random_state=0))
    assert not calm.dataset_drift
    alarmed = compute_drift(profile, frame.sample(500, random_state=0), tests=[Alarm()])
    assert alarmed.dataset_drift and alarmed.features[0].p_values["alarm"] == 1e-12


def test_custom_gates_are_configured_and_loaded(installed: Path, tmp_path: Path) -> None:
    config = parse_config(BASE + "gates: {custom: [min_rows]}\n", source=tmp_path / "b.yaml")
    assert [gate.name for gate in custom_gates(config)] == ["min_rows"]
    with pytest.raises(ValueError, match="'slices', a built-in gate that always runs"):
        GatesConfig(custom=["slices"])
    with pytest.raises(ConfigError, match=r"unknown gate 'min_row'.*min_rows"):
        parse_config(BASE + "gates: {custom: [min_row]}\n", source=tmp_path / "b.yaml")


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_a_plugin_sink_receives_alerts(
    installed: Path, tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    url = (f"sqlite:///{tmp_path / 'ledger.db'}" if backend == "sqlite"
           else request.getfixturevalue("postgres_url"))  # fmt: skip
    out = tmp_path / "alerts.jsonl"
    text = BASE + f"alerts:\n  sinks:\n    file: {{type: jsonl, options: {{path: '{out}'}}}}\n"
    config = parse_config(text, source=tmp_path / "boucle.yaml")
    assert set(configured_sinks(config)) == {"log", "file"}
    with Ledger(url) as ledger:
        outcome = send_test_alert(config, "file", ledger=ledger)
        events = ledger.events(kind="alert_fired")
    assert outcome.sinks == {"file": "sent"}
    assert [e.payload["sinks"] for e in events] == [{"file": "sent"}]
    (line,) = out.read_text().splitlines()
    assert json.loads(line)["rule"] == "(test)"
    bad = BASE + "alerts:\n  sinks:\n    file: {type: jsonl, options: {colour: red}}\n"
    with pytest.raises(ConfigError, match="could not create sink 'file' with options"):
        configured_sinks(parse_config(bad, source=tmp_path / "boucle.yaml"))
