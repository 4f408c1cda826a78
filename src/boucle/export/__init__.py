"""Export: ONNX conversion of fitted pipelines, the parity check, and int8 quantization.

``export_onnx`` converts a ``preprocess → model`` pipeline (preprocessing included) and
checks it against the pipeline; ``check_parity`` repeats the check on any rows;
``quantize`` tries int8 and keeps it only when it is smaller and scores within ``max_drop``.
onnx, skl2onnx, onnxmltools and onnxruntime are imported only when a function needs them.
"""

from __future__ import annotations

from boucle.export.convert import ONNX_OPSET, OnnxModel, export_onnx
from boucle.export.errors import ExportError
from boucle.export.parity import DEFAULT_TOLERANCES, ParityReport, check_parity, default_tolerance
from boucle.export.quantize import QuantizationReport, quantize
from boucle.export.runtime import OnnxInput, read_input_schema, to_onnx_inputs

__all__ = [
    "DEFAULT_TOLERANCES",
    "ONNX_OPSET",
    "ExportError",
    "OnnxInput",
    "OnnxModel",
    "ParityReport",
    "QuantizationReport",
    "check_parity",
    "default_tolerance",
    "export_onnx",
    "quantize",
    "read_input_schema",
    "to_onnx_inputs",
]
