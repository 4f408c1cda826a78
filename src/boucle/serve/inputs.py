"""The inputs of a served model and its onnxruntime session, without the ``onnx`` package.

:func:`~boucle.export.export_onnx` writes the input schema (one entry per feature column: the
graph input name, the DataFrame column, the tensor type and the feature kind) into the ONNX
file's metadata under :data:`SCHEMA_KEY`. The server reads it back from the onnxruntime
session (``get_modelmeta()``) instead of parsing the file with ``onnx``: ``boucle.export``
imports pandas and the ``onnx`` protobuf classes, about 110 MiB of resident memory that a
server never uses otherwise.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from boucle.serve.errors import ServeError

__all__ = ["SCHEMA_KEY", "ModelInput", "open_serving_session", "read_model_inputs"]

#: Metadata key of the input schema: the same as ``boucle.export.runtime.SCHEMA_KEY`` (a test
#: checks it), not imported from there because that module loads pandas.
SCHEMA_KEY = "boucle.inputs"
_DTYPES = ("float32", "string")
_KINDS = ("numeric", "categorical", "boolean")


@dataclass(frozen=True)
class ModelInput:
    """One input of an exported model: graph ``name``, source ``column``, tensor type, kind."""

    name: str
    column: str
    dtype: Literal["float32", "string"]
    kind: Literal["numeric", "categorical", "boolean"]


def open_serving_session(onnx_bytes: bytes, *, model: str) -> Any:
    """An onnxruntime CPU session tuned for serving: one thread per call, no spinning.

    See :func:`boucle._onnxruntime.inference_session`. Bytes onnxruntime cannot load raise
    :class:`ServeError`.
    """
    from boucle._onnxruntime import inference_session

    try:
        return inference_session(onnx_bytes, single_thread=True)
    except Exception as exc:  # onnxruntime raises Fail, InvalidGraph, InvalidProtobuf, ...
        raise ServeError(
            f"onnxruntime cannot load the {len(onnx_bytes)} bytes of {model} as an ONNX "
            f"model: {type(exc).__name__}: {exc}",
            hint="Re-export the model with `boucle export` and register it again.",
        ) from exc


def read_model_inputs(session: Any, *, model: str) -> list[ModelInput]:
    """The input schema recorded at export, from the metadata of an open ``session``."""
    stored = dict(session.get_modelmeta().custom_metadata_map)
    if SCHEMA_KEY not in stored:
        raise ServeError(
            f"The ONNX model of {model} has no '{SCHEMA_KEY}' metadata "
            f"(keys: {sorted(stored) or 'none'}).",
            hint="Export the model with `boucle export` (boucle.export.export_onnx).",
        )
    try:
        items = json.loads(stored[SCHEMA_KEY])
        inputs = [ModelInput(**item) for item in items]
    except (TypeError, ValueError) as exc:
        raise ServeError(
            f"The '{SCHEMA_KEY}' metadata of {model} is not a list of inputs: {exc}.",
            hint="Re-export the model with `boucle export`.",
        ) from exc
    bad = [i for i in inputs if i.dtype not in _DTYPES or i.kind not in _KINDS]
    if bad or not inputs:
        raise ServeError(
            f"The '{SCHEMA_KEY}' metadata of {model} lists no inputs or unknown types: {bad}.",
            hint="Re-export the model with `boucle export`.",
        )
    return inputs
