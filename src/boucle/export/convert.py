"""Conversion of a fitted ``preprocess → model`` pipeline to one ONNX graph, preprocessing included.

skl2onnx converts the ColumnTransformer and the scikit-learn estimators; the LightGBM and
XGBoost converters of onnxmltools are registered with it on first use. Classifiers output
``label`` (int64 class codes) and ``probabilities`` (float32, one column per class; no
ZipMap, so the output is a plain tensor); regressors output ``variable``. Linear models are
converted to MatMul + Add instead of the ``LinearClassifier``/``LinearRegressor`` operators,
with the same numbers (checked by the parity test), so that int8 quantization has weights to
work on. Every export is checked against the pipeline on ``sample`` before it is returned.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, get_args

import pandas as pd

from boucle.export.errors import ExportError
from boucle.export.parity import ParityReport, check_parity
from boucle.export.runtime import SCHEMA_KEY, InputKind, OnnxInput, make_input
from boucle.hashing import blake3_hex
from boucle.train.pipeline import feature_function_specs
from boucle.train.targets import TargetKind

__all__ = ["ONNX_OPSET", "OnnxModel", "export_onnx"]

#: Opsets of the exported graphs: 17 covers every operator these pipelines use and loads in
#: onnxruntime 1.13 and later; ``ai.onnx.ml`` 3 is the version of the TreeEnsemble operators.
ONNX_OPSET: dict[str, int] = {"": 17, "ai.onnx.ml": 3}
_KINDS: dict[str, InputKind] = {"num": "numeric", "cat": "categorical", "bool": "boolean"}
_VERSIONED = ("skl2onnx", "onnxmltools", "onnx", "onnxruntime", "scikit-learn")


@dataclass(frozen=True)
class OnnxModel:
    """An exported model: the ONNX bytes, how to feed them and how they were made.

    ``inputs`` has one entry per feature column, in graph order; ``outputs`` names the graph
    outputs (``label``, ``probabilities`` or ``variable``). ``blake3`` is the hex digest of
    ``onnx_bytes``, the key of the file in the artifact store. ``parity`` is the check run on
    the export ``sample``.
    """

    model: str
    task_kind: TargetKind
    onnx_bytes: bytes = field(repr=False)
    inputs: list[OnnxInput]
    outputs: list[str]
    opset: dict[str, int]
    converter_versions: dict[str, str]
    blake3: str
    parity: ParityReport

    @property
    def size_bytes(self) -> int:
        """Size of the serialized model."""
        return len(self.onnx_bytes)

    def to_dict(self) -> dict[str, Any]:
        """Everything but the bytes, as JSON-serialisable data (for the ledger and tracking)."""
        return {
            "model": self.model,
            "task_kind": self.task_kind,
            "size_bytes": self.size_bytes,
            "inputs": [spec.to_dict() for spec in self.inputs],
            "outputs": list(self.outputs),
            "opset": dict(self.opset),
            "converter_versions": dict(self.converter_versions),
            "blake3": self.blake3,
            "parity": self.parity.to_dict(),
        }


def export_onnx(
    pipeline: Any,
    sample: pd.DataFrame,
    *,
    task_kind: TargetKind,
    model: str,
    tolerance: float | None = None,
) -> OnnxModel:
    """Convert a fitted ``preprocess → model`` pipeline to ONNX and check it on ``sample``.

    ``pipeline`` is the one :func:`~boucle.train.search.fit_model` returns; ``model`` its
    name (``train.model``), used in messages and metadata. ``sample`` holds feature rows,
    ideally held-out ones: both models score them and the export fails with
    :class:`ExportError` (numbers and fix included) when a row differs by more than
    ``tolerance`` (default: :func:`~boucle.export.parity.default_tolerance`). Conversion
    failures are ExportError too, naming the model and what to do.
    """
    if task_kind not in get_args(TargetKind):
        raise ExportError(
            f"Unknown task_kind '{task_kind}' for model '{model}'.",
            hint=f"Use one of: {', '.join(get_args(TargetKind))}.",
        )
    _refuse_feature_functions(pipeline, model)
    inputs = _input_schema(pipeline, model)
    _check_task(pipeline[-1], task_kind, model)
    proto = _convert(_onnx_ready_copy(pipeline), inputs, task_kind, model)
    graph_names = [value.name for value in proto.graph.input]
    if graph_names != [spec.name for spec in inputs]:
        raise ExportError(
            f"skl2onnx named the inputs of model '{model}' {graph_names}, expected "
            f"{[spec.name for spec in inputs]}.",
            hint="The installed skl2onnx renames inputs differently; install skl2onnx 1.20.",
        )
    entry = proto.metadata_props.add()
    entry.key, entry.value = SCHEMA_KEY, json.dumps([spec.to_dict() for spec in inputs])
    for key, value in (("boucle.model", model), ("boucle.task_kind", task_kind)):
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    onnx_bytes = proto.SerializeToString()
    parity = check_parity(
        pipeline, onnx_bytes, sample, task_kind=task_kind, tolerance=tolerance, inputs=inputs
    )
    parity.raise_for_failure(model)
    return OnnxModel(
        model=model,
        task_kind=task_kind,
        onnx_bytes=onnx_bytes,
        inputs=inputs,
        outputs=[value.name for value in proto.graph.output],
        opset={entry.domain or "ai.onnx": entry.version for entry in proto.opset_import},
        converter_versions=_versions(pipeline[-1]),
        blake3=blake3_hex(onnx_bytes),
        parity=parity,
    )


def _refuse_feature_functions(pipeline: Any, model: str) -> None:
    """Python feature functions have no ONNX form: name the ones that block the export."""
    specs = feature_function_specs(pipeline)
    if specs:
        names = ", ".join(f"'{spec}'" for spec in specs)
        raise ExportError(
            f"Model '{model}' cannot be exported to ONNX: its feature function"
            f"{'s' if len(specs) > 1 else ''} {names} (features: in boucle.yaml) "
            f"{'are' if len(specs) > 1 else 'is'} Python code, which has no ONNX form.",
            hint="Set export.enabled: false to train and register without ONNX, or move the "
            "computation into the data (or drop it from features:) and retrain. Serving such a "
            "model through a flagged Python path is planned, not available yet.",
        )


def _input_schema(pipeline: Any, model: str) -> list[OnnxInput]:
    """One input per column the fitted ColumnTransformer reads, in its column order."""
    try:
        preprocess = pipeline.named_steps["preprocess"]
        fitted = preprocess.transformers_
        order = [str(c) for c in preprocess.feature_names_in_]
    except (AttributeError, KeyError, TypeError) as exc:
        raise ExportError(
            f"Model '{model}' is not a fitted boucle pipeline (a Pipeline whose 'preprocess' "
            f"step is a fitted ColumnTransformer): got {type(pipeline).__name__}.",
            hint="Export the pipeline returned by boucle.train.search.fit_model.",
        ) from exc
    kinds: dict[str, InputKind] = {}
    for name, _, columns in fitted:
        if name == "remainder":
            continue
        if name not in _KINDS:
            raise ExportError(
                f"Model '{model}' has a preprocessing step '{name}' that export does not know "
                f"(known: {', '.join(_KINDS)}).",
                hint="Build the preprocessor with boucle.train.pipeline.build_preprocessor.",
            )
        kinds.update({str(column): _KINDS[name] for column in columns})
    inputs = [make_input(column, kinds[column]) for column in order if column in kinds]
    names = Counter(spec.name for spec in inputs)
    clashes = [spec.column for spec in inputs if names[spec.name] > 1]
    if clashes:
        raise ExportError(
            f"Columns {', '.join(repr(c) for c in clashes)} of model '{model}' map to the same "
            "ONNX input name (characters other than letters, digits and _ become _).",
            hint="Rename one of them in the data (or data.rename) and retrain.",
        )
    return inputs


def _check_task(estimator: Any, task_kind: TargetKind, model: str) -> None:
    """The estimator must be a regressor for regression and have 2 or more classes otherwise."""
    classes = getattr(estimator, "classes_", None)
    if task_kind == "regression":
        problem = None if classes is None else f"a classifier with {len(classes)} classes"
    elif classes is None:
        problem = "a regressor"
    elif (len(classes) == 2) != (task_kind == "binary"):
        problem = f"a classifier with {len(classes)} classes"
    else:
        problem = None
    if problem is not None:
        raise ExportError(
            f"task_kind '{task_kind}' does not match model '{model}': "
            f"{type(estimator).__name__} is {problem}.",
            hint="Pass the task_kind the model was trained for (FitResult.task_kind).",
        )


def _onnx_ready_copy(pipeline: Any) -> Any:
    """The pipeline with a copied preprocessor whose categorical imputer treats "" as missing.

    ONNX strings cannot be NaN (see boucle.train.pipeline); the fitted statistics are kept.
    Only the preprocessor is copied: the fitted estimator, possibly large, is shared.
    """
    from sklearn.pipeline import Pipeline

    preprocess = copy.deepcopy(pipeline.named_steps["preprocess"])
    categorical = preprocess.named_transformers_.get("cat")
    if categorical is not None:
        categorical.named_steps["impute"].missing_values = ""
    return Pipeline([("preprocess", preprocess), ("model", pipeline[-1])])


def _convert(pipeline: Any, inputs: list[OnnxInput], task_kind: TargetKind, model: str) -> Any:
    from skl2onnx import convert_sklearn  # type: ignore[import-untyped]
    from skl2onnx.common.data_types import (  # type: ignore[import-untyped]
        FloatTensorType,
        StringTensorType,
    )

    from boucle.export.converters import register_converters

    register_converters()
    estimator = pipeline[-1]
    tensor_types = {"string": StringTensorType, "float32": FloatTensorType}
    initial_types = [(spec.column, tensor_types[spec.dtype]([None, 1])) for spec in inputs]
    options = {} if task_kind == "regression" else {id(estimator): {"zipmap": False}}
    try:
        return convert_sklearn(
            pipeline,
            initial_types=initial_types,
            options=options,
            target_opset=dict(ONNX_OPSET),
            name=f"boucle_{model}",  # skl2onnx defaults to a random uuid: bytes would vary
            # MatMul instead of LinearClassifier/LinearRegressor: quantizable weights.
            black_op={"LinearClassifier", "LinearRegressor"},
        )
    except Exception as exc:  # skl2onnx raises RuntimeError, NotImplementedError, TypeError...
        raise ExportError(
            f"Converting model '{model}' ({type(estimator).__name__}, {task_kind}) to ONNX "
            f"failed: {type(exc).__name__}: {exc}",
            hint="Check that the installed skl2onnx and onnxmltools support this estimator "
            "and its parameters (see OnnxModel.converter_versions), or export another model.",
        ) from exc


def _versions(estimator: Any) -> dict[str, str]:
    names = list(_VERSIONED)
    library = type(estimator).__module__.split(".")[0]
    if library in {"lightgbm", "xgboost"}:
        names.append(library)
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions
