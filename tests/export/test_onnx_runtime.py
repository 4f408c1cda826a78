"""to_onnx_inputs and the stored input schema: what the server feeds an exported model."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from boucle.errors import DataError
from boucle.export import ExportError, OnnxInput, export_onnx, read_input_schema, to_onnx_inputs
from boucle.export.runtime import onnx_input_name, open_session, run_session
from boucle.train.targets import TargetKind

FitFactory = Callable[[str, str, TargetKind], Any]


def test_missing_categories_become_empty_strings_and_numbers_float32(
    tables: dict[str, pd.DataFrame],
) -> None:
    rows = tables["adult"].head(200)
    feed = to_onnx_inputs(rows.drop(columns="income"))
    workclass = feed["workclass"]
    assert workclass.shape == (200, 1) and workclass.dtype == object
    missing = rows["workclass"].isna().to_numpy()
    assert missing.any()
    assert set(workclass[missing, 0]) == {""}
    assert all(isinstance(v, str) and v for v in workclass[~missing, 0])
    assert feed["education_num"].dtype == np.float32
    np.testing.assert_array_equal(feed["age"][:, 0], rows["age"].to_numpy(dtype=np.float32))


def test_inferred_schema_matches_the_exported_one(fitted: FitFactory) -> None:
    fit = fitted("adult", "logistic_regression", "binary")
    exported = export_onnx(fit.pipeline, fit.X_test, task_kind="binary", model=fit.model)
    inferred = to_onnx_inputs(fit.X_test)
    explicit = to_onnx_inputs(fit.X_test, exported.inputs)
    assert set(inferred) == set(explicit) == {spec.name for spec in exported.inputs}


def test_single_record_with_nulls_scores(fitted: FitFactory) -> None:
    fit = fitted("adult", "xgboost", "binary")
    exported = export_onnx(fit.pipeline, fit.X_test, task_kind="binary", model=fit.model)
    record = fit.X_test.iloc[0].to_dict() | {"workclass": None, "age": None}
    frame = pd.DataFrame([record], dtype=object)  # a JSON record: nulls, mixed types
    feed = to_onnx_inputs(frame, read_input_schema(exported.onnx_bytes))
    assert feed["workclass"][0, 0] == "" and np.isnan(feed["age"][0, 0])
    session = open_session(exported.onnx_bytes, model=fit.model)
    _, probabilities = run_session(session, feed, model=fit.model)
    same = fit.X_test.iloc[[0]].astype({"age": float})
    same.loc[:, ["workclass", "age"]] = np.nan
    native = fit.pipeline.predict_proba(same)
    np.testing.assert_allclose(probabilities, native, atol=1e-5)


def test_missing_column_is_a_data_error() -> None:
    schema = [OnnxInput("age", "age", "float32", "numeric")]
    with pytest.raises(DataError, match="'age' are missing"):
        to_onnx_inputs(pd.DataFrame({"income": ["<=50K"]}), schema)


def test_text_in_a_numeric_column_is_a_data_error() -> None:
    schema = [OnnxInput("age", "age", "float32", "numeric")]
    with pytest.raises(DataError, match="'age' must be numeric but holds 'forty'"):
        to_onnx_inputs(pd.DataFrame({"age": [39, "forty"]}, dtype=object), schema)


def test_booleans_feed_as_float() -> None:
    schema = [OnnxInput("flag", "flag", "float32", "boolean")]
    feed = to_onnx_inputs(pd.DataFrame({"flag": [True, False]}), schema)
    np.testing.assert_array_equal(feed["flag"], np.array([[1.0], [0.0]], dtype=np.float32))


def test_input_names_are_c_identifiers() -> None:
    assert onnx_input_name("education-num") == "education_num"
    assert onnx_input_name("2nd col") == "_2nd_col"


def test_schema_is_required_in_the_file() -> None:
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["y"])],
        "plain",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 1])],
    )
    plain = onnx.helper.make_model(graph).SerializeToString()
    with pytest.raises(ExportError, match=r"no 'boucle\.inputs' metadata"):
        read_input_schema(plain)
