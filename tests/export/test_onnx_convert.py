"""export_onnx on real pipelines: every model family converts and matches the native model."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
import onnx
import pytest

from boucle.export import ONNX_OPSET, ExportError, export_onnx, read_input_schema
from boucle.export.runtime import open_session, run_session, to_onnx_inputs
from boucle.hashing import blake3_hex
from boucle.train.search import fit_model
from boucle.train.targets import TargetKind

FitFactory = Callable[[str, str, TargetKind], Any]
MODELS = ["logistic_regression", "random_forest", "lightgbm", "xgboost"]


@pytest.mark.parametrize("dataset", ["adult", "german"])
@pytest.mark.parametrize("model", MODELS)
def test_binary_models_convert_and_pass_parity(
    fitted: FitFactory, model: str, dataset: str
) -> None:
    fit = fitted(dataset, model, "binary")
    exported = export_onnx(fit.pipeline, fit.X_parity, task_kind="binary", model=model)
    parity = exported.parity
    assert parity.passed, parity.to_dict()
    assert parity.rows == len(fit.X_parity)
    assert parity.max_abs_diff < 1e-5
    assert parity.label_agreement is not None and parity.label_agreement >= 0.998
    assert exported.outputs == ["label", "probabilities"]
    if dataset == "adult":  # Adult's held-out rows have missing categoricals ('?')
        assert fit.X_parity.isna().any(axis=1).sum() > 10


def test_unseen_and_missing_categories_score_like_the_pipeline(fitted: FitFactory) -> None:
    fit = fitted("adult", "logistic_regression", "binary")
    exported = export_onnx(fit.pipeline, fit.X_parity, task_kind="binary", model=fit.model)
    odd = fit.X_parity.iloc[-3:]  # unseen workclass and country, missing occupation
    assert odd["occupation"].isna().all()
    session = open_session(exported.onnx_bytes, model=fit.model)
    labels, probabilities = run_session(
        session, to_onnx_inputs(odd, exported.inputs), model=fit.model
    )
    np.testing.assert_allclose(probabilities, fit.pipeline.predict_proba(odd), atol=1e-5)
    np.testing.assert_array_equal(labels, fit.pipeline.predict(odd))


@pytest.mark.parametrize(
    ("dataset", "task_kind", "model"),
    [("german", "multiclass", model) for model in ["logistic_regression", "lightgbm", "xgboost"]]
    + [("adult", "regression", model) for model in MODELS],
)
def test_multiclass_and_regression_convert_and_pass_parity(
    fitted: FitFactory, dataset: str, task_kind: TargetKind, model: str
) -> None:
    fit = fitted(dataset, model, task_kind)
    exported = export_onnx(fit.pipeline, fit.X_parity, task_kind=task_kind, model=model)
    assert exported.parity.passed, exported.parity.to_dict()
    if task_kind == "regression":
        assert exported.outputs == ["variable"]
        assert exported.parity.max_rel_diff is not None
        assert exported.parity.label_agreement is None
    else:
        assert exported.outputs == ["label", "probabilities"]
        assert exported.parity.label_agreement == pytest.approx(1.0, abs=0.005)
        probabilities = fit.pipeline.predict_proba(fit.X_test)
        assert probabilities.shape[1] == 3  # housing: own, rent, for free


def test_onnx_model_describes_its_bytes(fitted: FitFactory) -> None:
    fit = fitted("adult", "lightgbm", "binary")
    exported = export_onnx(fit.pipeline, fit.X_test, task_kind="binary", model="lightgbm")
    assert exported.blake3 == blake3_hex(exported.onnx_bytes)
    assert exported.size_bytes == len(exported.onnx_bytes)
    assert exported.opset == {"ai.onnx": ONNX_OPSET[""], "ai.onnx.ml": ONNX_OPSET["ai.onnx.ml"]}
    assert {"skl2onnx", "onnxmltools", "onnxruntime", "lightgbm"} <= set(
        exported.converter_versions
    )
    by_column = {spec.column: spec for spec in exported.inputs}
    assert list(by_column) == [c for c in fit.X_train.columns]
    assert by_column["education-num"].name == "education_num"
    assert (by_column["age"].dtype, by_column["age"].kind) == ("float32", "numeric")
    assert (by_column["workclass"].dtype, by_column["workclass"].kind) == (
        "string",
        "categorical",
    )
    assert read_input_schema(exported.onnx_bytes) == exported.inputs
    proto = onnx.load_from_string(exported.onnx_bytes)
    assert [value.name for value in proto.graph.input] == [s.name for s in exported.inputs]
    summary = exported.to_dict()
    json.dumps(summary)
    assert "onnx_bytes" not in summary and summary["parity"]["passed"] is True


def test_export_is_deterministic(fitted: FitFactory) -> None:
    fit = fitted("german", "xgboost", "binary")
    first = export_onnx(fit.pipeline, fit.X_test, task_kind="binary", model="xgboost")
    second = export_onnx(fit.pipeline, fit.X_test, task_kind="binary", model="xgboost")
    assert first.blake3 == second.blake3


def test_export_leaves_the_pipeline_unchanged(fitted: FitFactory) -> None:
    fit = fitted("german", "random_forest", "binary")
    export_onnx(fit.pipeline, fit.X_test, task_kind="binary", model="random_forest")
    imputer = fit.pipeline.named_steps["preprocess"].named_transformers_["cat"]["impute"]
    assert isinstance(imputer.missing_values, float) and np.isnan(imputer.missing_values)


def test_not_a_boucle_pipeline_is_an_export_error(fitted: FitFactory) -> None:
    fit = fitted("german", "logistic_regression", "binary")
    with pytest.raises(ExportError, match="not a fitted boucle pipeline"):
        export_onnx(fit.pipeline[-1], fit.X_test, task_kind="binary", model="bare")


def test_unknown_task_kind_is_an_export_error(fitted: FitFactory) -> None:
    fit = fitted("german", "logistic_regression", "binary")
    with pytest.raises(ExportError, match="Unknown task_kind 'ranking'"):
        export_onnx(fit.pipeline, fit.X_test, task_kind="ranking", model="x")  # type: ignore[arg-type]


def test_task_kind_must_match_the_estimator(fitted: FitFactory) -> None:
    fit = fitted("german", "lightgbm", "binary")
    with pytest.raises(ExportError, match="LGBMClassifier is a classifier with 2 classes"):
        export_onnx(fit.pipeline, fit.X_test, task_kind="multiclass", model="lightgbm")
    with pytest.raises(ExportError, match="LGBMClassifier is a classifier with 2 classes"):
        export_onnx(fit.pipeline, fit.X_test, task_kind="regression", model="lightgbm")


def test_clashing_input_names_are_an_export_error(fitted: FitFactory) -> None:
    fit = fitted("german", "logistic_regression", "binary")
    X = fit.X_train.rename(columns={"duration_in_month": "age-in-years"})  # vs age_in_years
    result = fit_model(
        X, fit.y_train, task_kind="binary", model="logistic_regression", trials=0,
        timeout_s=None, metric="roc_auc", seed=0, n_jobs=1,
    )  # fmt: skip
    with pytest.raises(ExportError, match="'age-in-years', 'age_in_years' of model 'clash'"):
        export_onnx(result.pipeline, X, task_kind="binary", model="clash")


def test_converter_failure_names_the_model(fitted: FitFactory) -> None:
    from sklearn.pipeline import Pipeline

    fit = fitted("german", "logistic_regression", "binary")
    preprocess = fit.pipeline.named_steps["preprocess"]
    odd = Pipeline([("preprocess", preprocess), ("model", _Unconvertible())])
    with pytest.raises(ExportError, match=r"Converting model 'odd' \(_Unconvertible, binary\)"):
        export_onnx(odd, fit.X_test, task_kind="binary", model="odd")


class _Unconvertible:
    """A fitted binary classifier skl2onnx has no converter for."""

    classes_ = np.array([0, 1])

    def fit(self, X: object, y: object) -> _Unconvertible:
        return self
