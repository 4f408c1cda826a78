"""int8 quantization of an exported model with onnxruntime, kept only when it is worth it.

``dynamic`` stores MatMul/Gemm weights as int8 and quantizes activations at run time;
``static`` also fixes activation ranges from calibration rows (QDQ format). The quantized
model is kept only when its metric drops by at most ``max_drop`` *and* its file is smaller;
otherwise the report says *refused* with the numbers. onnxruntime quantizes weight-bearing
operators (MatMul, Gemm, Conv, ...), not the TreeEnsemble operators of ``ai.onnx.ml``, so a
graph without MatMul/Gemm (every tree model) is reported *not applicable* instead.

For boucle's tabular models int8 rarely pays: a linear model over ~100 one-hot columns holds
a few hundred weights, far less than the category strings of its encoders, and the quantizer
adds scale, zero-point and conversion nodes. Measured on Adult (logistic regression, held-out
ROC-AUC, ``benchmarks/bench_export.py``): dynamic 10,371 → 10,412 B, AUC 0.8997 → 0.8996;
static 10,371 → 17,129 B, AUC 0.8997 → 0.8770 (its int8 activation ranges, calibrated on
train rows, must span standardised outliers such as capital-gain). Both are refused; the
check exists so that the decision rests on numbers, whatever the model.
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy.typing as npt
import pandas as pd

from boucle.export.errors import ExportError
from boucle.export.runtime import (
    open_session,
    read_input_schema,
    run_session,
    time_median_ms,
    to_onnx_inputs,
)

__all__ = ["QuantizationReport", "quantize"]

Decision = Literal["kept", "refused", "not_applicable"]
_WEIGHT_OPS = frozenset({"MatMul", "Gemm"})
_TREE_PREFIX = "TreeEnsemble"
_LATENCY_ROWS = 1000
_CALIBRATION_BATCH = 100


@dataclass(frozen=True)
class QuantizationReport:
    """What quantization did: sizes, metric and latency before/after, decision and reason.

    ``metric_*`` come from the caller's ``evaluate`` (higher is better); ``metric_drop`` is
    ``metric_before - metric_after``. Latencies are medians over a batch of ``latency_rows``
    calibration rows (``None`` without calibration rows). ``quantized_bytes`` holds the
    quantized model only when the decision is ``"kept"``.
    """

    mode: str
    decision: Decision
    reason: str
    size_before: int
    size_after: int | None = None
    metric_before: float | None = None
    metric_after: float | None = None
    max_drop: float = 0.005
    latency_before_ms: float | None = None
    latency_after_ms: float | None = None
    latency_rows: int = 0
    ops: dict[str, int] = field(default_factory=dict)
    quantized_bytes: bytes | None = field(default=None, repr=False)

    @property
    def metric_drop(self) -> float | None:
        """``metric_before - metric_after`` (positive: the quantized model is worse)."""
        if self.metric_before is None or self.metric_after is None:
            return None
        return self.metric_before - self.metric_after

    @property
    def kept(self) -> bool:
        """True when the quantized model should replace the float one."""
        return self.decision == "kept"

    def to_dict(self) -> dict[str, Any]:
        """Everything but the bytes, as JSON-serialisable data."""
        return {
            "mode": self.mode,
            "decision": self.decision,
            "reason": self.reason,
            "size_before": self.size_before,
            "size_after": self.size_after,
            "metric_before": self.metric_before,
            "metric_after": self.metric_after,
            "metric_drop": self.metric_drop,
            "max_drop": self.max_drop,
            "latency_before_ms": self.latency_before_ms,
            "latency_after_ms": self.latency_after_ms,
            "latency_rows": self.latency_rows,
            "ops": dict(self.ops),
        }


def quantize(
    onnx_bytes: bytes,
    *,
    mode: Literal["dynamic", "static"],
    calibration: pd.DataFrame | None,
    evaluate: Callable[[bytes], float],
    max_drop: float = 0.005,
) -> QuantizationReport:
    """Quantize an exported model to int8 and decide whether to keep it.

    ``calibration`` holds feature rows of the training split: ``static`` mode calibrates
    activation ranges on them (required), and both modes time a batch of up to 1,000 of them
    before and after (``None`` in dynamic mode: no latency). ``evaluate(model_bytes)`` scores
    a model on validation rows, higher is better (pass a negated loss). Kept only when the
    drop is ``<= max_drop`` and the file shrinks; tree ensembles are reported not applicable.
    """
    import onnx

    if mode not in ("dynamic", "static"):
        raise ExportError(f"Unknown quantization mode '{mode}'.", hint="Use 'dynamic' or 'static'.")
    if mode == "static" and (calibration is None or len(calibration) == 0):
        raise ExportError(
            "Static quantization needs calibration rows; got none.",
            hint="Pass rows of the training split as calibration, or use mode='dynamic'.",
        )
    inputs = read_input_schema(onnx_bytes)
    proto = onnx.load_from_string(onnx_bytes)
    ops = dict(Counter(node.op_type for node in proto.graph.node))
    weights = {name for name in ops if name in _WEIGHT_OPS}
    trees = sorted(name for name in ops if name.startswith(_TREE_PREFIX))
    if not weights:
        what = "tree ensembles have" if trees else "the graph has"
        reason = (
            f"not applicable: {what} no MatMul/Gemm weights to quantize "
            f"(operators: {', '.join(sorted(ops))})"
        )
        return QuantizationReport(
            mode, "not_applicable", reason, len(onnx_bytes), max_drop=max_drop, ops=ops
        )
    quantized = _quantize_bytes(proto, mode, calibration, inputs)
    metric_before = float(evaluate(onnx_bytes))
    try:
        metric_after = float(evaluate(quantized))
    except Exception as exc:  # the caller's evaluate runs onnxruntime on the int8 graph
        raise ExportError(
            f"Evaluating the {mode}-quantized model failed: {type(exc).__name__}: {exc}",
            hint="Keep the float model (it is unchanged), or try the other mode.",
        ) from exc
    latency_before = latency_after = None
    rows = 0
    if calibration is not None and len(calibration) > 0:
        batch = to_onnx_inputs(calibration.iloc[:_LATENCY_ROWS], inputs)
        rows = min(len(calibration), _LATENCY_ROWS)
        latency_before = _latency(onnx_bytes, batch)
        latency_after = _latency(quantized, batch)
    keep, reason = _decide(metric_before, metric_after, max_drop, len(onnx_bytes), len(quantized))
    return QuantizationReport(
        mode=mode,
        decision="kept" if keep else "refused",
        reason=reason,
        size_before=len(onnx_bytes),
        size_after=len(quantized),
        metric_before=metric_before,
        metric_after=metric_after,
        max_drop=max_drop,
        latency_before_ms=latency_before,
        latency_after_ms=latency_after,
        latency_rows=rows,
        ops=ops,
        quantized_bytes=quantized if keep else None,
    )


def _decide(
    before: float, after: float, max_drop: float, size_before: int, size_after: int
) -> tuple[bool, str]:
    """Keep iff the metric drops by at most ``max_drop`` and the file shrinks; say why."""
    drop = before - after
    numbers = (
        f"metric {before:.4f} → {after:.4f} (drop {drop:+.4f}, allowed {max_drop:g}); "
        f"size {size_before} → {size_after} B"
    )
    failures = []
    if not drop <= max_drop:  # also true for a NaN metric
        failures.append(f"the metric drops by more than {max_drop:g}")
    if size_after >= size_before:
        failures.append("the quantized file is not smaller")
    if failures:
        return False, f"refused: {' and '.join(failures)}; {numbers}"
    return True, f"kept: {numbers}"


def _quantize_bytes(
    proto: Any, mode: str, calibration: pd.DataFrame | None, inputs: list[Any]
) -> bytes:
    """Run onnxruntime's quantizer and return the quantized model with our metadata."""
    from onnx import TensorProto
    from onnxruntime.quantization import (  # type: ignore[import-untyped]
        QuantFormat,
        QuantType,
        quantize_dynamic,
        quantize_static,
    )

    # The float tensors after the ai.onnx.ml encoders have no inferred type; say they are float.
    extra = {"DefaultTensorType": TensorProto.FLOAT}
    with tempfile.TemporaryDirectory(prefix="boucle-quantize-") as folder:
        target = os.path.join(folder, "quantized.onnx")
        try:
            if mode == "dynamic":
                quantize_dynamic(proto, target, weight_type=QuantType.QInt8, extra_options=extra)
            else:
                assert calibration is not None  # checked by quantize()
                reader = _FrameReader(calibration, inputs)
                quantize_static(
                    proto,
                    target,
                    reader,
                    quant_format=QuantFormat.QDQ,
                    activation_type=QuantType.QInt8,
                    weight_type=QuantType.QInt8,
                    extra_options=extra,
                )
            import onnx

            quantized = onnx.load(target)
        except Exception as exc:  # onnxruntime.quantization raises RuntimeError, ValueError...
            raise ExportError(
                f"onnxruntime {mode} quantization failed: {type(exc).__name__}: {exc}",
                hint="Keep the float model, or try the other quantization mode.",
            ) from exc
    # The quantizer replaces metadata_props and adds inferred value_info; restore the first
    # (the input schema must travel with the file) and drop the second, which is optional
    # and absent from the float model, so that sizes compare weights with weights.
    del quantized.metadata_props[:]
    quantized.metadata_props.extend(proto.metadata_props)
    del quantized.graph.value_info[:]
    return bytes(quantized.SerializeToString())


class _FrameReader:
    """A CalibrationDataReader (duck-typed) that feeds ``frame`` in batches."""

    def __init__(self, frame: pd.DataFrame, inputs: list[Any]) -> None:
        self._batches = [
            to_onnx_inputs(frame.iloc[start : start + _CALIBRATION_BATCH], inputs)
            for start in range(0, min(len(frame), _LATENCY_ROWS), _CALIBRATION_BATCH)
        ]
        self._position = 0

    def get_next(self) -> dict[str, npt.NDArray[Any]] | None:
        """The next calibration feed, or None when all were given."""
        if self._position >= len(self._batches):
            return None
        self._position += 1
        return self._batches[self._position - 1]

    def rewind(self) -> None:
        """Start again from the first batch."""
        self._position = 0


def _latency(onnx_bytes: bytes, feed: dict[str, npt.NDArray[Any]]) -> float:
    session = open_session(onnx_bytes, model="quantization")
    return time_median_ms(lambda: run_session(session, feed, model="quantization"))
