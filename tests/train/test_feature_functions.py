"""Feature functions in the fitted pipeline: applied first, stored by reference, not exported."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pytest

from boucle.errors import ConfigError, DataError, ExportError
from boucle.export import export_onnx
from boucle.project.transformer import FeatureFunctionTransformer
from boucle.train.pipeline import (
    feature_function_specs,
    feature_names,
    split_feature_functions,
    with_feature_functions,
)
from boucle.train.search import fit_model
from boucle.train.targets import TargetEncoding, encode_target

FEATURES = """\
import pandas as pd


def add_ratio(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(amount_per_month=frame["credit_amount"] / frame["duration_in_month"])


def drop_rows(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.head(3)


def to_array(frame):
    return frame.to_numpy()
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "features.py").write_text(FEATURES)
    return tmp_path


def _fit(
    project: Path, german: pd.DataFrame, model: str = "logistic_regression"
) -> tuple[Any, pd.DataFrame, TargetEncoding]:
    frame = german.sample(400, random_state=0).reset_index(drop=True)
    encoding = encode_target(frame["creditability"], "classification", "bad")
    x = frame.drop(columns=["creditability"])
    features = FeatureFunctionTransformer(("features.py:add_ratio",), str(project))
    x_fit = features.fit_transform(x)
    result = fit_model(
        x_fit,
        encoding.y,
        task_kind=encoding.kind,
        model=model,
        trials=0,
        timeout_s=None,
        metric="roc_auc",
        seed=0,
    )
    return with_feature_functions(result.pipeline, features), x, encoding


def test_the_function_runs_first_and_its_column_reaches_the_model(
    project: Path, german: pd.DataFrame
) -> None:
    pipeline, x, _ = _fit(project, german)
    assert [name for name, _ in pipeline.steps] == ["features", "preprocess", "model"]
    assert "num__amount_per_month" in feature_names(pipeline)
    assert feature_function_specs(pipeline) == ["features.py:add_ratio"]
    step = pipeline.named_steps["features"]
    assert list(step.feature_names_in_) == list(x.columns)
    assert list(step.feature_names_out_) == [*x.columns, "amount_per_month"]
    assert step.refs_[0]["source_hash"] and step.refs_[0]["function"] == "add_ratio"
    probabilities = pipeline.predict_proba(x.head(10))  # raw rows in: the pipeline adds the ratio
    assert probabilities.shape == (10, 2)
    assert "amount_per_month" not in x.columns  # the caller's frame is not modified
    # For explanations: the model part, and the rows as it receives them.
    rest, inputs = split_feature_functions(pipeline, x.head(10))
    assert [name for name, _ in rest.steps] == ["preprocess", "model"]
    assert inputs.columns[-1] == "amount_per_month"
    np.testing.assert_array_equal(rest.predict_proba(inputs), probabilities)
    plain, same = split_feature_functions(rest, inputs)
    assert plain is rest and same is inputs


def test_stored_by_reference_joblib_and_skops_reload_and_predict_alike(
    project: Path, german: pd.DataFrame
) -> None:
    import skops.io

    pipeline, x, _ = _fit(project, german)
    expected = pipeline.predict_proba(x)
    buffer = io.BytesIO()
    joblib.dump(pipeline, buffer)
    assert b"frame.assign" not in buffer.getvalue()  # the code is not inside the model file
    reloaded = joblib.load(io.BytesIO(buffer.getvalue()))
    assert not hasattr(reloaded.named_steps["features"], "_functions")
    np.testing.assert_array_equal(reloaded.predict_proba(x), expected)
    # skops, as the MLflow bridge saves it: the types to trust are those of this pipeline.
    data = skops.io.dumps(pipeline)
    trusted = skops.io.get_untrusted_types(data=data)
    assert "boucle.project.transformer.FeatureFunctionTransformer" in trusted
    loaded = skops.io.loads(data, trusted=trusted)
    np.testing.assert_array_equal(loaded.predict_proba(x), expected)


def test_a_changed_function_file_refuses_to_predict_with_the_old_model(
    project: Path, german: pd.DataFrame
) -> None:
    pipeline, x, _ = _fit(project, german)
    buffer = io.BytesIO()
    joblib.dump(pipeline, buffer)
    (project / "features.py").write_text(FEATURES.replace("/ frame", "* frame"))
    reloaded = joblib.load(io.BytesIO(buffer.getvalue()))
    with pytest.raises(ConfigError, match="changed since this model was trained") as caught:
        reloaded.predict_proba(x.head(2))
    assert "boucle run" in (caught.value.hint or "")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("features.py:drop_rows", "returned 3 rows for 20 rows in"),
        ("features.py:to_array", "returned ndarray, not a DataFrame"),
    ],
)
def test_a_function_breaking_the_contract_is_a_data_error(
    project: Path, german: pd.DataFrame, spec: str, message: str
) -> None:
    step = FeatureFunctionTransformer((spec,), str(project))
    with pytest.raises(DataError, match=message):
        step.fit(german.head(20))


def test_a_function_raising_names_itself(project: Path, german: pd.DataFrame) -> None:
    step = FeatureFunctionTransformer(("features.py:add_ratio",), str(project))
    with pytest.raises(DataError, match=r"feature function 'features\.py:add_ratio' failed on 5"):
        step.fit(german.drop(columns=["credit_amount"]).head(5))
    with pytest.raises(DataError, match="need a pandas DataFrame"):
        step.fit(german.head(5).to_numpy())


def test_export_names_the_function_that_blocks_onnx(project: Path, german: pd.DataFrame) -> None:
    pipeline, x, encoding = _fit(project, german, model="lightgbm")
    with pytest.raises(ExportError, match=r"'features\.py:add_ratio'") as caught:
        export_onnx(pipeline, x.head(20), task_kind=encoding.kind, model="lightgbm")
    assert "no ONNX form" in caught.value.message
    assert "export.enabled: false" in (caught.value.hint or "")
    # Without the feature step the same fitted model converts.
    from sklearn.pipeline import Pipeline

    plain = Pipeline(pipeline.steps[1:])
    x_fit = pipeline.named_steps["features"].transform(x.head(20))
    assert export_onnx(plain, x_fit, task_kind=encoding.kind, model="lightgbm").size_bytes > 0
