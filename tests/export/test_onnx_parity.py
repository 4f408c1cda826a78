"""check_parity: real differences measured, failures reported with numbers and a fix."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from boucle.export import (
    DEFAULT_TOLERANCES,
    ExportError,
    check_parity,
    default_tolerance,
    export_onnx,
)
from boucle.train.targets import TargetKind

FitFactory = Callable[[str, str, TargetKind], Any]


def test_absurd_tolerance_fails_the_export_with_the_numbers(fitted: FitFactory) -> None:
    fit = fitted("adult", "lightgbm", "binary")
    with pytest.raises(ExportError) as caught:
        export_onnx(fit.pipeline, fit.X_parity, task_kind="binary", model="lightgbm",
                    tolerance=1e-12)  # fmt: skip
    message = str(caught.value)
    assert "ONNX parity failed for model 'lightgbm' (LGBMClassifier)" in message
    assert f"of {len(fit.X_parity)} rows differ by more than 1e-12" in message
    assert "max abs diff" in message and "labels agree on" in message
    assert "float32" in (caught.value.hint or "")


def test_failed_report_lists_the_worst_rows(fitted: FitFactory) -> None:
    fit = fitted("adult", "xgboost", "binary")
    exported = export_onnx(fit.pipeline, fit.X_test, task_kind="binary", model="xgboost")
    report = check_parity(
        fit.pipeline, exported.onnx_bytes, fit.X_parity, task_kind="binary", tolerance=1e-12
    )
    assert not report.passed
    assert report.tolerance_source == "given"
    assert 0 < report.rows_over_tolerance <= report.rows == len(fit.X_parity)
    diffs = [row["abs_diff"] for row in report.worst_rows]
    assert len(diffs) == 5 and diffs == sorted(diffs, reverse=True)
    assert diffs[0] == report.max_abs_diff > 0
    assert report.worst_rows[0]["row"] in set(fit.X_parity.index)
    summary = json.loads(json.dumps(report.to_dict()))
    assert summary["passed"] is False and summary["rows_over_tolerance"] > 0
    with pytest.raises(ExportError, match="ONNX parity failed for model 'xgb'"):
        report.raise_for_failure("xgb")


def test_default_tolerances_follow_the_model_family(fitted: FitFactory) -> None:
    linear = fitted("german", "logistic_regression", "binary").pipeline[-1]
    forest = fitted("german", "random_forest", "binary").pipeline[-1]
    assert default_tolerance(linear) == DEFAULT_TOLERANCES["linear"] == 1e-4
    assert default_tolerance(forest) == DEFAULT_TOLERANCES["tree"]
    fit = fitted("german", "random_forest", "binary")
    exported = export_onnx(fit.pipeline, fit.X_test, task_kind="binary", model="random_forest")
    assert exported.parity.tolerance_source == "default"
    assert exported.parity.tolerance == DEFAULT_TOLERANCES["tree"]
    # The default keeps at least a tenfold margin over what float32 reaches here.
    assert exported.parity.max_abs_diff * 10 < exported.parity.tolerance


def test_regression_reports_relative_difference(fitted: FitFactory) -> None:
    fit = fitted("adult", "lightgbm", "regression")
    exported = export_onnx(fit.pipeline, fit.X_parity, task_kind="regression", model="lightgbm")
    report = exported.parity
    assert report.max_rel_diff is not None
    assert report.max_rel_diff <= report.max_abs_diff  # divided by max(1, |prediction|)
    native = fit.pipeline.predict(fit.X_parity.loc[[report.worst_rows[0]["row"]]])[0]
    assert report.worst_rows[0]["native"] == pytest.approx(native)


def test_parity_needs_rows(fitted: FitFactory) -> None:
    fit = fitted("german", "logistic_regression", "binary")
    exported = export_onnx(fit.pipeline, fit.X_test, task_kind="binary", model="lr")
    with pytest.raises(ExportError, match="0 rows"):
        check_parity(fit.pipeline, exported.onnx_bytes, fit.X_test.iloc[:0], task_kind="binary")


def test_bytes_that_are_not_onnx_are_an_export_error(fitted: FitFactory) -> None:
    fit = fitted("german", "logistic_regression", "binary")
    with pytest.raises(ExportError, match="onnxruntime cannot load the ONNX model"):
        check_parity(fit.pipeline, b"not onnx at all", fit.X_test, task_kind="binary")
