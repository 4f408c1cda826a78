"""quantize: real int8 attempts on a linear model, and an honest 'not applicable' for trees."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import pytest

from boucle.export import ExportError, export_onnx, quantize, read_input_schema
from boucle.export.runtime import open_session, run_session, to_onnx_inputs
from boucle.train.targets import TargetKind

FitFactory = Callable[[str, str, TargetKind], Any]


def _exported_and_scorer(fit: Any) -> tuple[bytes, Callable[[bytes], float]]:
    from sklearn.metrics import roc_auc_score

    exported = export_onnx(fit.pipeline, fit.X_test, task_kind="binary", model=fit.model)
    feed = to_onnx_inputs(fit.X_test, exported.inputs)

    def evaluate(model_bytes: bytes) -> float:
        session = open_session(model_bytes, model=fit.model)
        probabilities = run_session(session, feed, model=fit.model)[1]
        return float(roc_auc_score(fit.y_test, probabilities[:, 1]))

    return exported.onnx_bytes, evaluate


def _consistent(report: Any) -> bool:
    """The decision follows the rule: keep iff drop <= max_drop and the file shrinks."""
    keep = report.metric_drop <= report.max_drop and report.size_after < report.size_before
    return bool(report.decision == ("kept" if keep else "refused"))


@pytest.mark.parametrize("mode", ["dynamic", "static"])
def test_linear_model_gets_real_numbers_and_a_consistent_decision(
    fitted: FitFactory, mode: Literal["dynamic", "static"]
) -> None:
    fit = fitted("adult", "logistic_regression", "binary")
    onnx_bytes, evaluate = _exported_and_scorer(fit)
    report = quantize(onnx_bytes, mode=mode, calibration=fit.X_train, evaluate=evaluate)
    assert report.decision in {"kept", "refused"}
    assert _consistent(report), report.to_dict()
    assert report.ops.get("MatMul", 0) >= 1
    assert report.size_before == len(onnx_bytes) and report.size_after
    assert report.metric_before is not None and report.metric_before > 0.8
    assert report.metric_before == pytest.approx(evaluate(onnx_bytes))
    assert report.metric_after is not None and 0.5 < report.metric_after <= 1.0
    assert report.latency_before_ms and report.latency_after_ms and report.latency_rows == 1000
    assert report.reason.startswith(report.decision)
    assert (report.quantized_bytes is not None) == report.kept
    json.dumps(report.to_dict())


def test_impossible_drop_is_refused_with_the_numbers(fitted: FitFactory) -> None:
    fit = fitted("german", "logistic_regression", "binary")
    onnx_bytes, evaluate = _exported_and_scorer(fit)
    report = quantize(
        onnx_bytes, mode="dynamic", calibration=None, evaluate=evaluate, max_drop=-1.0
    )
    assert report.decision == "refused" and report.quantized_bytes is None
    assert "allowed -1" in report.reason and "size" in report.reason
    assert report.latency_before_ms is None and report.latency_rows == 0


def test_quantized_model_keeps_the_input_schema_and_runs(fitted: FitFactory) -> None:
    import onnx

    from boucle.export.quantize import _quantize_bytes

    fit = fitted("german", "logistic_regression", "binary")
    onnx_bytes, _ = _exported_and_scorer(fit)
    schema = read_input_schema(onnx_bytes)
    quantized = _quantize_bytes(onnx.load_from_string(onnx_bytes), "dynamic", None, schema)
    assert read_input_schema(quantized) == schema
    ops = {node.op_type for node in onnx.load_from_string(quantized).graph.node}
    assert "MatMulInteger" in ops or "DynamicQuantizeMatMul" in ops, ops
    session = open_session(quantized, model=fit.model)
    probabilities = run_session(session, to_onnx_inputs(fit.X_test, schema), model=fit.model)[1]
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)


@pytest.mark.parametrize("model", ["lightgbm", "random_forest"])
def test_tree_ensembles_are_not_applicable(fitted: FitFactory, model: str) -> None:
    fit = fitted("german", model, "binary")
    onnx_bytes, _ = _exported_and_scorer(fit)
    calls: list[bytes] = []
    report = quantize(
        onnx_bytes,
        mode="dynamic",
        calibration=fit.X_train,
        evaluate=lambda b: calls.append(b) or 0.0,  # type: ignore[func-returns-value]
    )
    assert report.decision == "not_applicable" and not report.kept
    assert report.reason.startswith(
        "not applicable: tree ensembles have no MatMul/Gemm weights to quantize"
    )
    assert "TreeEnsembleClassifier" in report.reason
    assert report.size_after is None and report.metric_before is None and calls == []


def test_static_without_calibration_is_an_export_error(fitted: FitFactory) -> None:
    fit = fitted("german", "logistic_regression", "binary")
    onnx_bytes, evaluate = _exported_and_scorer(fit)
    with pytest.raises(ExportError, match="Static quantization needs calibration rows"):
        quantize(onnx_bytes, mode="static", calibration=None, evaluate=evaluate)


def test_quantized_model_still_ranks(fitted: FitFactory) -> None:
    fit = fitted("adult", "logistic_regression", "binary")
    onnx_bytes, evaluate = _exported_and_scorer(fit)
    report = quantize(
        onnx_bytes, mode="dynamic", calibration=fit.X_train, evaluate=evaluate, max_drop=1.0
    )
    assert report.metric_drop is not None and abs(report.metric_drop) < 0.01
    assert np.isfinite(report.metric_drop)
