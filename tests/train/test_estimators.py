"""The estimator registry: names, defaults inside their search spaces, deterministic builders."""

from __future__ import annotations

import warnings

import optuna
import pytest

from boucle.errors import TrainingError
from boucle.train.estimators import MODEL_NAMES, get_estimator_spec


def test_the_four_models_are_registered() -> None:
    assert MODEL_NAMES == ("lightgbm", "logistic_regression", "random_forest", "xgboost")


def test_unknown_model_lists_valid_names_and_the_closest() -> None:
    with pytest.raises(TrainingError) as info:
        get_estimator_spec("lightgmb")
    message = str(info.value)
    assert "Unknown model 'lightgmb'" in message
    assert "lightgbm, logistic_regression, random_forest, xgboost" in message
    assert "Did you mean 'lightgbm'?" in message


@pytest.mark.parametrize("model", MODEL_NAMES)
def test_defaults_lie_inside_the_search_space(model: str) -> None:
    spec = get_estimator_spec(model)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # FixedTrial warns about values outside the space
        searched = spec.suggest(optuna.trial.FixedTrial(spec.default_params))
    assert searched and all(spec.default_params[k] == v for k, v in searched.items())


@pytest.mark.parametrize(
    ("model", "task", "expected"),
    [
        ("logistic_regression", "binary", "LogisticRegression"),
        ("logistic_regression", "regression", "Ridge"),
        ("random_forest", "multiclass", "RandomForestClassifier"),
        ("random_forest", "regression", "RandomForestRegressor"),
        ("lightgbm", "binary", "LGBMClassifier"),
        ("lightgbm", "regression", "LGBMRegressor"),
        ("xgboost", "multiclass", "XGBClassifier"),
        ("xgboost", "regression", "XGBRegressor"),
    ],
)
def test_make_builds_the_estimator_of_the_task(model: str, task: str, expected: str) -> None:
    estimator = get_estimator_spec(model).make({}, task, seed=3)  # type: ignore[arg-type]
    assert type(estimator).__name__ == expected


def test_builders_fix_seed_and_threads() -> None:
    lgbm = get_estimator_spec("lightgbm").make({"num_leaves": 15}, "binary", seed=5).get_params()
    assert lgbm["num_leaves"] == 15 and lgbm["random_state"] == 5
    assert lgbm["deterministic"] and lgbm["force_row_wise"] and lgbm["n_jobs"] == 1
    xgb = get_estimator_spec("xgboost").make({}, "binary", seed=5, n_jobs=1).get_params()
    assert xgb["tree_method"] == "hist" and xgb["random_state"] == 5 and xgb["n_jobs"] == 1
    forest = get_estimator_spec("random_forest").make({}, "regression", seed=5).get_params()
    assert forest["random_state"] == 5
    ridge = get_estimator_spec("logistic_regression").make({"C": 4.0}, "regression", seed=5)
    assert ridge.alpha == pytest.approx(0.25)  # alpha = 1 / C


def test_unknown_parameter_is_refused() -> None:
    with pytest.raises(TrainingError, match=r"Unknown parameters for model 'xgboost': depth\."):
        get_estimator_spec("xgboost").make({"depth": 3}, "binary", seed=0)
