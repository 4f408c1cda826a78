"""SHAP values of real pipelines: the planted driver ranks first, additivity, one-hot groups."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from explain_models import Model

from boucle.errors import DataError
from boucle.explain import compute_shap, group_matrix, original_columns
from boucle.explain.shap_values import TREE_BUDGET, choose_method, tree_cost


@pytest.fixture(scope="module")
def xgboost_model(planted: tuple[pd.DataFrame, Any]) -> Model:
    """XGBoost (ordinal-encoded categories) with 50 trees.

    xgboost>=3.1 stores ``base_score`` as a list, which shap's TreeExplainer reads only from
    shap 0.50 on: before, explaining any XGBoost model failed.
    """
    from boucle.train.search import fit_model

    frame, y = planted
    result = fit_model(
        frame.iloc[:800],
        y[:800],
        task_kind="binary",
        model="xgboost",
        trials=0,
        timeout_s=None,
        metric="roc_auc",
        seed=0,
        fixed_params={"n_estimators": 50},
    )
    return Model(result.pipeline, frame.iloc[:800], frame.iloc[800:], y[:800], y[800:])


@pytest.mark.parametrize(
    "name", ["lightgbm_model", "xgboost_model", "linear_model", "forest_model"]
)
def test_the_column_that_drives_the_label_ranks_first(
    name: str, request: pytest.FixtureRequest
) -> None:
    model: Model = request.getfixturevalue(name)
    result = compute_shap(
        model.pipeline, model.x_test, kind="binary", background=model.x_train.head(100)
    )
    ranking = [column for column, _ in result.importance()]
    assert ranking[0] == "signal"
    assert result.method == ("linear" if name == "linear_model" else "tree")
    # Values are per table column, not per encoded column.
    assert sorted(result.columns) == sorted(model.x_test.columns)
    assert result.values.shape == (len(model.x_test), model.x_test.shape[1])


def test_tree_shap_adds_up_to_the_lightgbm_log_odds(lightgbm_model: Model) -> None:
    rows = lightgbm_model.x_test
    result = compute_shap(lightgbm_model.pipeline, rows, kind="binary")
    encoded = lightgbm_model.pipeline[:-1].transform(rows)
    margin = lightgbm_model.pipeline[-1].predict(encoded, raw_score=True)
    np.testing.assert_allclose(result.base_values + result.values.sum(axis=1), margin, atol=1e-6)
    assert result.output == "log-odds of the positive class"
    assert not result.approximate


def test_tree_shap_adds_up_to_the_xgboost_log_odds(xgboost_model: Model) -> None:
    rows = xgboost_model.x_test
    result = compute_shap(xgboost_model.pipeline, rows, kind="binary")
    encoded = xgboost_model.pipeline[:-1].transform(rows)
    margin = xgboost_model.pipeline[-1].predict(encoded, output_margin=True)
    # float32 trees: additivity holds to float32 precision (measured 1.8e-6), not float64's.
    np.testing.assert_allclose(result.base_values + result.values.sum(axis=1), margin, atol=1e-5)
    assert result.output == "log-odds of the positive class"
    assert not result.approximate


def test_tree_shap_adds_up_to_the_forest_probability(forest_model: Model) -> None:
    rows = forest_model.x_test.head(50)
    result = compute_shap(forest_model.pipeline, rows, kind="binary")
    probability = forest_model.pipeline.predict_proba(rows)[:, 1]
    np.testing.assert_allclose(
        result.base_values + result.values.sum(axis=1), probability, atol=1e-6
    )
    assert result.output == "probability of the positive class"


def test_linear_shap_adds_up_to_the_decision_function(linear_model: Model) -> None:
    rows = linear_model.x_test
    result = compute_shap(
        linear_model.pipeline, rows, kind="binary", background=linear_model.x_train
    )
    margin = linear_model.pipeline.decision_function(rows)
    np.testing.assert_allclose(result.base_values + result.values.sum(axis=1), margin, atol=1e-6)


def test_one_hot_groups_are_summed_back_to_their_column(linear_model: Model) -> None:
    import shap

    preprocess, estimator = linear_model.pipeline[:-1], linear_model.pipeline[-1]
    owners = original_columns(preprocess)
    names = list(preprocess.get_feature_names_out())
    assert len(owners) == len(names) > linear_model.x_test.shape[1]
    purpose = [n for n, o in zip(names, owners, strict=True) if o == "purpose"]
    assert len(purpose) == linear_model.x_train["purpose"].nunique()
    assert all(n.startswith("cat__purpose_") for n in purpose)
    rows = linear_model.x_test.head(20)
    encoded = preprocess.transform(rows)
    raw = shap.LinearExplainer(estimator, preprocess.transform(linear_model.x_train))(encoded)
    result = compute_shap(
        linear_model.pipeline, rows, kind="binary", background=linear_model.x_train
    )
    index = [i for i, o in enumerate(owners) if o == "purpose"]
    expected = raw.values[:, index].sum(axis=1)
    np.testing.assert_allclose(result.values[:, result.columns.index("purpose")], expected)
    columns, matrix = group_matrix(owners)
    assert columns == result.columns and matrix.sum() == len(owners)


def test_a_deep_forest_on_many_rows_falls_back_to_additive_saabas(forest_model: Model) -> None:
    cost = tree_cost(forest_model.pipeline[-1])
    assert cost > 0
    repeats = int(TREE_BUDGET // (cost * len(forest_model.x_test))) + 1
    rows = pd.concat([forest_model.x_test] * repeats, ignore_index=True)
    result = compute_shap(forest_model.pipeline, rows, kind="binary")
    assert result.approximate
    probability = forest_model.pipeline.predict_proba(rows)[:, 1]
    np.testing.assert_allclose(
        result.base_values + result.values.sum(axis=1), probability, atol=1e-6
    )
    assert result.importance()[0][0] == "signal"


def test_kernel_explainer_on_request(linear_model: Model) -> None:
    rows = linear_model.x_test.head(5)
    result = compute_shap(
        linear_model.pipeline,
        rows,
        kind="binary",
        method="kernel",
        background=linear_model.x_train.head(20),
        kernel_samples=300,
    )
    assert result.method == "kernel"
    probability = linear_model.pipeline.predict_proba(rows)[:, 1]
    np.testing.assert_allclose(
        result.base_values + result.values.sum(axis=1), probability, atol=1e-6
    )


def test_method_choice_and_missing_background(linear_model: Model) -> None:
    assert choose_method(linear_model.pipeline[-1]) == "linear"
    assert choose_method(linear_model.pipeline[-1], "kernel") == "kernel"
    assert choose_method(object()) == "kernel"
    with pytest.raises(DataError, match="needs background rows"):
        compute_shap(linear_model.pipeline, linear_model.x_test, kind="binary")
    with pytest.raises(DataError, match="preprocess"):
        compute_shap(linear_model.pipeline[-1], linear_model.x_test, kind="binary")


def test_multiclass_explains_the_predicted_class(german: pd.DataFrame) -> None:
    from boucle.train.search import fit_model
    from boucle.train.targets import encode_target

    encoding = encode_target(german["job"], "classification")
    features = german.drop(columns=["job", "creditability"])
    result = fit_model(
        features.iloc[:800],
        encoding.y[:800],
        task_kind="multiclass",
        model="lightgbm",
        trials=0,
        timeout_s=None,
        metric="roc_auc",
        seed=0,
        fixed_params={"n_estimators": 20},
    )
    rows = features.iloc[800:]
    shap_result = compute_shap(result.pipeline, rows, kind="multiclass")
    predicted = result.pipeline.predict_proba(rows).argmax(axis=1)
    assert shap_result.explained_class is not None
    np.testing.assert_array_equal(shap_result.explained_class, predicted)
    encoded = result.pipeline[:-1].transform(rows)
    raw = result.pipeline[-1].predict(encoded, raw_score=True)
    chosen = raw[np.arange(len(rows)), predicted]
    np.testing.assert_allclose(
        shap_result.base_values + shap_result.values.sum(axis=1), chosen, atol=1e-6
    )
