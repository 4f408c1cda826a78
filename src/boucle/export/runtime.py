"""Feeding exported models: the input schema, DataFrame → ONNX feed, and onnxruntime sessions.

An exported model has one input per original feature column, shaped ``[N, 1]``: ``string``
for categorical columns and ``float32`` for numeric and boolean ones. ONNX string tensors
cannot hold NaN, so a missing category is sent as ``""`` (the exporter sets the categorical
imputer's ``missing_values`` to ``""``); a missing number stays NaN and the numeric imputer
replaces it. skl2onnx turns column names into C identifiers (``education-num`` →
``education_num``), so the schema keeps both names; it is also stored in the ONNX file's
metadata under :data:`SCHEMA_KEY`, which :func:`read_input_schema` reads back.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from boucle.errors import DataError
from boucle.export.errors import ExportError
from boucle.train.pipeline import classify_columns

__all__ = [
    "SCHEMA_KEY",
    "InputKind",
    "OnnxInput",
    "make_input",
    "onnx_input_name",
    "open_session",
    "read_input_schema",
    "run_session",
    "time_median_ms",
    "to_onnx_inputs",
]

#: Metadata key of the ONNX file that holds the input schema as JSON.
SCHEMA_KEY = "boucle.inputs"

InputKind = Literal["numeric", "categorical", "boolean"]


@dataclass(frozen=True)
class OnnxInput:
    """One ONNX input: its graph ``name``, the DataFrame ``column`` it comes from, its type."""

    name: str
    column: str
    dtype: Literal["float32", "string"]
    kind: InputKind

    def to_dict(self) -> dict[str, str]:
        """The input as JSON-serialisable data."""
        return dict(asdict(self))


def onnx_input_name(column: str) -> str:
    """The ONNX input name skl2onnx gives ``column``: a C identifier (``a-b`` → ``a_b``)."""
    # Same rule as skl2onnx's Topology._generate_unique_name; export_onnx checks they agree.
    name = re.sub(r"[^\w+]", "_", column)
    return "_" + name if re.match("^[0-9]", name) else name


def make_input(column: str, kind: InputKind) -> OnnxInput:
    """The :class:`OnnxInput` of a feature ``column`` of ``kind``."""
    dtype: Literal["float32", "string"] = "string" if kind == "categorical" else "float32"
    return OnnxInput(onnx_input_name(column), column, dtype, kind)


def read_input_schema(onnx_bytes: bytes) -> list[OnnxInput]:
    """The input schema stored in a model exported by :func:`~boucle.export.export_onnx`."""
    import onnx

    try:
        proto = onnx.load_from_string(onnx_bytes)
    except Exception as exc:  # protobuf raises DecodeError, onnx raises its own types
        raise ExportError(
            f"The bytes ({len(onnx_bytes)} B) are not an ONNX model: {exc}",
            hint="Pass the bytes of an exported model (OnnxModel.onnx_bytes).",
        ) from exc
    stored = {prop.key: prop.value for prop in proto.metadata_props}
    if SCHEMA_KEY not in stored:
        raise ExportError(
            f"The ONNX model has no '{SCHEMA_KEY}' metadata (keys: {sorted(stored) or 'none'}).",
            hint="Export the model with boucle.export.export_onnx, or pass the input schema.",
        )
    return [OnnxInput(**item) for item in json.loads(stored[SCHEMA_KEY])]


def to_onnx_inputs(
    frame: pd.DataFrame, inputs: Sequence[OnnxInput] | None = None
) -> dict[str, npt.NDArray[Any]]:
    """Convert the rows of ``frame`` into the feed of an exported model.

    ``inputs`` is the model's schema (``OnnxModel.inputs`` or :func:`read_input_schema`);
    without it the schema is inferred from the dtypes of ``frame``, which matches the export
    when ``frame`` has the dtypes of the training table. Categorical values become strings
    (missing → ``""``), numeric and boolean ones ``float32`` (missing → NaN); every array is
    shaped ``[len(frame), 1]``. Raises :class:`~boucle.errors.DataError` for a missing column
    or a value that is not a number in a numeric column.
    """
    if inputs is None:
        kinds = classify_columns(frame)
        inputs = [make_input(c, "numeric") for c in kinds.numeric]
        inputs += [make_input(c, "categorical") for c in kinds.categorical]
        inputs += [make_input(c, "boolean") for c in kinds.boolean]
    absent = [spec.column for spec in inputs if spec.column not in frame.columns]
    if absent:
        raise DataError(
            f"Columns {', '.join(repr(c) for c in absent)} are missing from the rows to "
            f"score (columns given: {', '.join(map(str, frame.columns))}).",
            hint="Send every feature column the model was trained on.",
        )
    return {spec.name: _column_feed(frame[spec.column], spec) for spec in inputs}


def _column_feed(series: pd.Series, spec: OnnxInput) -> npt.NDArray[Any]:
    if spec.kind == "categorical":
        # ONNX strings cannot be NaN: "" is the missing value the exported imputer replaces.
        values = series.astype("string").fillna("").to_numpy(dtype=object)
        return values.reshape(-1, 1)
    try:
        numbers = series.to_numpy(dtype=np.float32, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        bad = [v for v in series.dropna().tolist() if not _is_number(v)][:3]
        raise DataError(
            f"Column '{spec.column}' must be numeric but holds {', '.join(map(repr, bad))}.",
            hint="Send numbers (or null for a missing value) in this column.",
        ) from exc
    return numbers.reshape(-1, 1)


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def open_session(onnx_bytes: bytes, *, model: str, single_thread: bool = False) -> Any:
    """An onnxruntime CPU session on ``onnx_bytes``; failures become ExportError.

    ``single_thread`` (serving) runs each call on the calling thread without spinning: for
    single rows a thread pool costs more than it gives and steals the CPU from the HTTP loop.
    """
    from boucle._onnxruntime import inference_session

    try:
        return inference_session(onnx_bytes, single_thread=single_thread)
    except Exception as exc:  # onnxruntime raises Fail, InvalidGraph, InvalidProtobuf, ...
        raise ExportError(
            f"onnxruntime cannot load the ONNX model of '{model}' ({len(onnx_bytes)} B): "
            f"{type(exc).__name__}: {exc}",
            hint="Re-export the model with boucle.export.export_onnx; if it persists, check "
            "that onnxruntime supports the model's opset (OnnxModel.opset).",
        ) from exc


def run_session(
    session: Any, feed: dict[str, npt.NDArray[Any]], *, model: str
) -> list[npt.NDArray[Any]]:
    """Run ``session`` on ``feed`` and return its outputs in graph order."""
    try:
        return [np.asarray(output) for output in session.run(None, feed)]
    except Exception as exc:  # onnxruntime raises InvalidArgument, Fail, RuntimeException
        expected = ", ".join(f"{i.name}: {i.type}" for i in session.get_inputs())
        raise ExportError(
            f"onnxruntime failed to run the ONNX model of '{model}': {type(exc).__name__}: {exc}",
            hint=f"Build the feed with to_onnx_inputs and the model's schema ({expected}).",
        ) from exc


def time_median_ms(call: Callable[[], object], *, repeats: int = 5) -> float:
    """Median wall time of ``call()`` over ``repeats`` runs, after one warm-up, in ms."""
    call()
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        timings.append((time.perf_counter() - started) * 1000.0)
    return float(statistics.median(timings))
