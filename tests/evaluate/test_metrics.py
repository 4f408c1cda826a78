"""evaluate_model on models fitted to real data: headline metrics, slices, JSON output."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import r2_score, roc_auc_score

from boucle.errors import DataError
from boucle.evaluate.metrics import Evaluation, evaluate_model

from .fitting import Fitted, fit_table

BINARY_KEYS = {
    "accuracy", "precision", "recall", "f1", "roc_auc", "pr_auc", "log_loss", "brier",
    "positive_rate",
}  # fmt: skip


@pytest.fixture(scope="module")
def adult_evaluation(adult_lightgbm: Fitted) -> Evaluation:
    fitted = adult_lightgbm
    return evaluate_model(
        fitted.pipeline,
        fitted.split.X_test,
        fitted.split.y_test,
        encoding=fitted.encoding,
        sensitive=["sex", "race", "age"],
    )


def test_adult_lightgbm_headline_metrics(
    adult_lightgbm: Fitted, adult_evaluation: Evaluation
) -> None:
    metrics = adult_evaluation.metrics
    assert set(metrics) == BINARY_KEYS
    assert adult_evaluation.n_rows == len(adult_lightgbm.split.y_test) == 6513
    assert metrics["roc_auc"] is not None and metrics["roc_auc"] > 0.85
    assert metrics["accuracy"] is not None and metrics["accuracy"] > 0.84
    assert metrics["log_loss"] is not None and metrics["log_loss"] < 0.35
    assert metrics["brier"] is not None and metrics["brier"] < 0.12
    proba = adult_lightgbm.pipeline.predict_proba(adult_lightgbm.split.X_test)[:, 1]
    assert metrics["roc_auc"] == pytest.approx(roc_auc_score(adult_lightgbm.split.y_test, proba))
    assert adult_evaluation.positive_class == ">50K"


def test_confusion_and_per_class(adult_lightgbm: Fitted, adult_evaluation: Evaluation) -> None:
    y_test = adult_lightgbm.split.y_test
    confusion = adult_evaluation.confusion
    assert confusion is not None and confusion["labels"] == ["<=50K", ">50K"]
    matrix = np.array(confusion["matrix"])
    assert matrix.sum() == len(y_test)
    assert matrix.sum(axis=1).tolist() == [int((y_test == 0).sum()), int((y_test == 1).sum())]
    per_class = adult_evaluation.per_class
    assert per_class is not None and [c["label"] for c in per_class] == ["<=50K", ">50K"]
    positive = per_class[1]
    assert positive["support"] == int((y_test == 1).sum())
    assert positive["precision"] == pytest.approx(adult_evaluation.metrics["precision"])
    assert positive["recall"] == pytest.approx(matrix[1, 1] / matrix[1].sum())


def test_slices_for_sex_race_and_binned_age(
    adult_lightgbm: Fitted, adult_evaluation: Evaluation
) -> None:
    X_test = adult_lightgbm.split.X_test
    slices = adult_evaluation.slices
    for column in ("sex", "race", "age"):
        of_column = [s for s in slices if s["column"] == column]
        assert sum(s["count"] for s in of_column) == len(X_test)
        assert all(set(s["metrics"]) == BINARY_KEYS for s in of_column)
    assert {s["value"] for s in slices if s["column"] == "sex"} == {"Female", "Male"}
    assert {s["value"] for s in slices if s["column"] == "race"} == set(X_test["race"].unique())
    assert len([s for s in slices if s["column"] == "age"]) == 5
    female = next(s for s in slices if s["value"] == "Female")
    female_rows = (X_test["sex"] == "Female").to_numpy()
    assert female["count"] == int(female_rows.sum())
    expected = evaluate_model(
        adult_lightgbm.pipeline,
        X_test[female_rows],
        adult_lightgbm.split.y_test[female_rows],
        encoding=adult_lightgbm.encoding,
        sensitive=[],
    )
    assert female["metrics"] == expected.metrics


def test_undefined_slice_metrics_are_none(adult_lightgbm: Fitted) -> None:
    y_test = adult_lightgbm.split.y_test
    cohort = pd.DataFrame({"cohort": np.where(y_test == 1, "earners", "others")})
    evaluation = evaluate_model(
        adult_lightgbm.pipeline,
        adult_lightgbm.split.X_test,
        y_test,
        encoding=adult_lightgbm.encoding,
        sensitive=["cohort", "not_a_column"],
        groups=cohort,
    )
    earners, others = evaluation.slices  # sorted: "earners" < "others"
    assert earners["value"] == "earners" and earners["metrics"]["roc_auc"] is None
    assert others["metrics"]["roc_auc"] is None
    assert others["metrics"]["recall"] is None  # no positive row: recall is undefined
    assert others["metrics"]["accuracy"] is not None and others["metrics"]["log_loss"] is not None
    assert evaluation.notes == [
        "sensitive column 'not_a_column' is not in the test data; no slices for it"
    ]


def test_to_dict_is_strict_json(adult_evaluation: Evaluation) -> None:
    data = adult_evaluation.to_dict()
    text = json.dumps(data, allow_nan=False)
    back = json.loads(text)
    assert back["metrics"] == adult_evaluation.metrics  # full floats, not rounded
    assert back["slices"][0].keys() == {"column", "value", "count", "metrics"}
    assert back["kind"] == "binary" and back["classes"] == ["<=50K", ">50K"]


def test_multiclass_evaluation(adult: pd.DataFrame) -> None:
    fitted = fit_table(
        adult.sample(2000, random_state=3), "relationship", "classification", "lightgbm"
    )
    evaluation = evaluate_model(
        fitted.pipeline,
        fitted.split.X_test,
        fitted.split.y_test,
        encoding=fitted.encoding,
        sensitive=["sex"],
    )
    metrics = evaluation.metrics
    assert set(metrics) == BINARY_KEYS - {"positive_rate"}
    assert metrics["roc_auc"] is not None and metrics["roc_auc"] > 0.8
    assert evaluation.per_class is not None and len(evaluation.per_class) == 6
    assert sum(c["support"] for c in evaluation.per_class) == evaluation.n_rows == 400
    assert np.array(evaluation.confusion["matrix"]).shape == (6, 6)  # type: ignore[index]
    macro_f1 = np.mean([c["f1"] for c in evaluation.per_class])
    assert metrics["f1"] == pytest.approx(macro_f1)
    # Multiclass Brier: mean over rows of the summed squared error against one-hot truth.
    proba = fitted.pipeline.predict_proba(fitted.split.X_test)
    onehot = np.eye(6)[fitted.split.y_test]
    assert metrics["brier"] == pytest.approx(np.mean(np.sum((proba - onehot) ** 2, axis=1)))
    assert sum(s["count"] for s in evaluation.slices) == 400


def test_regression_evaluation(adult: pd.DataFrame) -> None:
    fitted = fit_table(
        adult.sample(2000, random_state=4),
        "hours-per-week",
        "regression",
        "xgboost",
        metric="rmse",
    )
    evaluation = evaluate_model(
        fitted.pipeline,
        fitted.split.X_test,
        fitted.split.y_test,
        encoding=fitted.encoding,
        sensitive=["sex"],
    )
    assert set(evaluation.metrics) == {"rmse", "mae", "r2"}
    predicted = fitted.pipeline.predict(fitted.split.X_test)
    assert evaluation.metrics["r2"] == pytest.approx(r2_score(fitted.split.y_test, predicted))
    assert evaluation.confusion is None and evaluation.per_class is None
    assert {s["value"] for s in evaluation.slices} == {"Female", "Male"}


def test_input_errors(adult_lightgbm: Fitted) -> None:
    fitted = adult_lightgbm
    with pytest.raises(DataError, match="X_test has 6513 rows but y_test has 3"):
        evaluate_model(
            fitted.pipeline,
            fitted.split.X_test,
            fitted.split.y_test[:3],
            encoding=fitted.encoding,
            sensitive=[],
        )
    with pytest.raises(DataError, match=r"cannot predict on the test rows.*occupation"):
        evaluate_model(
            fitted.pipeline,
            fitted.split.X_test.drop(columns=["occupation"]),
            fitted.split.y_test,
            encoding=fitted.encoding,
            sensitive=[],
        )
