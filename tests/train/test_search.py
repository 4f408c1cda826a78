"""fit_model on real data: every model and task, reproducibility, timeout, errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import r2_score, roc_auc_score

from boucle.errors import DataError, TrainingError
from boucle.train.estimators import MODEL_NAMES
from boucle.train.pipeline import feature_names
from boucle.train.search import FitResult, fit_model
from boucle.train.split import Split, split_table
from boucle.train.targets import TargetEncoding, encode_target


def _prepare(
    table: pd.DataFrame, target: str, task: str, positive: str | None = None
) -> tuple[TargetEncoding, Split]:
    encoding = encode_target(table[target], task, positive)  # type: ignore[arg-type]
    X = table.drop(columns=[target])[encoding.keep]
    split = split_table(
        X, encoding.y, test_size=0.25, seed=0, stratify=True, classes=encoding.classes
    )
    return encoding, split


@pytest.fixture(scope="module")
def german_split(german: pd.DataFrame) -> tuple[TargetEncoding, Split]:
    return _prepare(german, "creditability", "classification", "bad")


def _fit(split: Split, kind: str, model: str, trials: int, **kwargs: object) -> FitResult:
    options: dict[str, object] = {"timeout_s": None, "metric": "roc_auc", "seed": 0}
    options.update(kwargs)
    return fit_model(
        split.X_train,
        split.y_train,
        task_kind=kind,  # type: ignore[arg-type]
        model=model,
        trials=trials,
        **options,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("trials", [0, 2])
@pytest.mark.parametrize("model", MODEL_NAMES)
def test_binary_german_credit(
    german_split: tuple[TargetEncoding, Split], model: str, trials: int
) -> None:
    _, split = german_split
    result = _fit(split, "binary", model, trials)
    assert result.model == model and result.metric == "roc_auc"
    assert result.trials_completed == trials == len(result.trial_scores)
    if trials == 0:
        assert result.best_score is None and result.validation is None
    else:
        assert result.validation == "cv"  # 750 train rows: 3-fold cross-validation
        assert result.best_score == max(result.trial_scores)
    proba = result.pipeline.predict_proba(split.X_test)
    assert proba.shape == (len(split.X_test), 2)
    assert roc_auc_score(split.y_test, proba[:, 1]) > 0.7
    assert len(feature_names(result.pipeline)) >= split.X_test.shape[1]
    summary = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert summary["best_params"] == result.best_params and "pipeline" not in summary


@pytest.mark.parametrize("model", MODEL_NAMES)
def test_multiclass_relationship(adult_sample: pd.DataFrame, model: str) -> None:
    encoding, split = _prepare(adult_sample, "relationship", "classification")
    assert encoding.kind == "multiclass" and encoding.n_classes == 6
    result = _fit(split, "multiclass", model, 0)
    proba = result.pipeline.predict_proba(split.X_test)
    assert proba.shape == (len(split.X_test), 6)
    accuracy = float(np.mean(proba.argmax(axis=1) == split.y_test))
    assert accuracy > 0.6  # the majority class alone scores about 0.4


@pytest.mark.parametrize("model", MODEL_NAMES)
def test_regression_hours_per_week(adult_sample: pd.DataFrame, model: str) -> None:
    _, split = _prepare(adult_sample, "hours-per-week", "regression")
    result = _fit(split, "regression", model, 0, metric="rmse")
    predicted = result.pipeline.predict(split.X_test)
    assert predicted.shape == (len(split.X_test),)
    assert r2_score(split.y_test, predicted) > 0.05


@pytest.mark.parametrize("model", MODEL_NAMES)
def test_same_seed_gives_identical_params_and_predictions(
    german_split: tuple[TargetEncoding, Split], model: str
) -> None:
    _, split = german_split
    trials = 1 if model == "random_forest" else 3  # forests are the slowest to refit
    first = _fit(split, "binary", model, trials, metric="log_loss")
    again = _fit(split, "binary", model, trials, metric="log_loss")
    assert first.best_params == again.best_params
    assert first.trial_scores == again.trial_scores
    assert first.best_score == min(first.trial_scores)  # log_loss is minimised
    np.testing.assert_array_equal(
        first.pipeline.predict_proba(split.X_test), again.pipeline.predict_proba(split.X_test)
    )


def test_another_seed_searches_elsewhere(german_split: tuple[TargetEncoding, Split]) -> None:
    _, split = german_split
    first = _fit(split, "binary", "lightgbm", 2)
    other = _fit(split, "binary", "lightgbm", 2, seed=1)
    assert first.trial_scores != other.trial_scores


def test_timeout_stops_the_search_and_on_trial_reports_each(
    german_split: tuple[TargetEncoding, Split],
) -> None:
    _, split = german_split
    seen: list[tuple[int, float]] = []
    result = _fit(
        split,
        "binary",
        "logistic_regression",
        10_000,
        timeout_s=1.0,
        on_trial=lambda n, s: seen.append((n, s)),
    )
    assert 1 <= result.trials_completed < 10_000
    assert result.search_seconds < 10
    assert [n for n, _ in seen] == list(range(result.trials_completed))
    assert [s for _, s in seen] == result.trial_scores


def test_holdout_validation_above_the_cv_limit(adult: pd.DataFrame) -> None:
    _, split = _prepare(adult.sample(14_000, random_state=1), "income", "classification")
    result = _fit(split, "binary", "xgboost", 1)
    assert result.validation == "holdout" and result.trials_completed == 1


def test_unknown_metric_and_model_fail_before_fitting(
    german_split: tuple[TargetEncoding, Split],
) -> None:
    _, split = german_split
    with pytest.raises(TrainingError, match=r"Unknown metric 'auc'.*'roc_auc'"):
        _fit(split, "binary", "lightgbm", 2, metric="auc")
    with pytest.raises(TrainingError, match="Metric 'r2' does not apply to classification"):
        _fit(split, "binary", "lightgbm", 2, metric="r2")
    with pytest.raises(TrainingError, match=r"Unknown model 'xgb'.*Did you mean 'xgboost'"):
        _fit(split, "binary", "xgb", 0)


def test_library_failure_becomes_training_error(german: pd.DataFrame) -> None:
    X = german.drop(columns=["creditability"])
    y = np.zeros(len(X), dtype=np.int64)  # a single class reaches the solver
    with pytest.raises(TrainingError) as info:
        fit_model(
            X,
            y,
            task_kind="binary",
            model="logistic_regression",
            trials=0,
            timeout_s=None,
            metric="roc_auc",
            seed=0,
        )
    message = str(info.value)
    assert "refitting model 'logistic_regression'" in message
    assert "ValueError" in message and "class" in message
    assert isinstance(info.value.__cause__, ValueError)


def test_bad_inputs(german_split: tuple[TargetEncoding, Split]) -> None:
    _, split = german_split
    with pytest.raises(DataError, match="X_train has 750 rows but y_train has 5"):
        fit_model(
            split.X_train,
            split.y_train[:5],
            task_kind="binary",
            model="lightgbm",
            trials=0,
            timeout_s=None,
            metric="roc_auc",
            seed=0,
        )
    with pytest.raises(TrainingError, match=r"train.trials -1 is negative"):
        _fit(split, "binary", "lightgbm", -1)
    with pytest.raises(TrainingError, match=r"train.timeout_s 0 is not positive"):
        _fit(split, "binary", "lightgbm", 1, timeout_s=0)


@pytest.mark.parametrize("model", ["lightgbm", "xgboost", "random_forest"])
def test_n_jobs_reaches_the_fitted_estimator(
    german_split: tuple[TargetEncoding, Split], model: str
) -> None:
    _, split = german_split
    assert _fit(split, "binary", model, 0).pipeline[-1].get_params()["n_jobs"] == 1
    assert _fit(split, "binary", model, 0, n_jobs=2).pipeline[-1].get_params()["n_jobs"] == 2
