"""The flagged Python path: serve a version that has no ONNX form.

A project's feature functions (``features:`` in boucle.yaml) are Python code, which skl2onnx
cannot convert, a plug-in model may have no converter, and a fair challenger's per-group
thresholds have none either: such a version has no ONNX file (the export or mitigate step
records what blocks it). Under ``serve.python_fallback: allow`` (the default) the server
scores it with its native model instead, and says so everywhere: the response's ``model``
carries ``"runtime": "python"``, ``/readyz`` lists the runtime of every model, ``/metrics``
has ``boucle_models_python_runtime``, and the start-up log warns. Under ``refuse``,
``boucle serve`` stops with an error naming what blocks ONNX.

The native model is read from boucle's own artifact store by the digest the registry
recorded, and hashed again here before it is loaded: nothing that did not come from the
hash-verified store is ever loaded. It is the train step's joblib pipeline, or, for a fair
challenger, the mitigate step's skops file (:mod:`boucle.serve.native`), whose labels are
those of its ``predict`` (the per-row draw its fairness evidence counted) and whose
probabilities are its ``predict_proba``. Unlike the ONNX path, this one imports pandas and
scikit-learn (about 150 MiB more) and runs the user's feature functions in the server
process; requests are validated by the same schema (built from the training rows' column
kinds), and see the same float32 values as an ONNX model would.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from boucle.serve.errors import ServeError
from boucle.serve.inputs import ModelInput

if TYPE_CHECKING:
    from boucle.serve.models import ServedModel

__all__ = [
    "PythonSession",
    "class_codes",
    "load_native_verified",
    "load_python_model",
    "load_skops_verified",
    "unpickle_verified",
]

_log = logging.getLogger("boucle.serve")


class PythonSession:
    """What the server asks of an onnxruntime session, answered by a native pipeline.

    ``run(None, feed)`` takes the ONNX-style feed (``{input name: array [N, 1]}``: float32
    numbers with NaN for missing, strings with ``""`` for missing) and returns what a boucle
    ONNX model returns: ``[class codes]`` and ``[probabilities]`` for a classifier, ``[values]``
    for a regressor.
    """

    def __init__(
        self,
        pipeline: Any,
        inputs: Sequence[ModelInput],
        *,
        classifier: bool,
        labels_from: str = "argmax",
    ) -> None:
        self.pipeline = pipeline
        self.inputs = tuple(inputs)
        self.classifier = classifier
        #: ``argmax`` (the most probable class) or ``predict`` (a fair challenger's decision).
        self.labels_from = labels_from

    def run(self, output_names: Any, feed: dict[str, npt.NDArray[Any]]) -> list[npt.NDArray[Any]]:
        """Score ``feed`` with the pipeline (``output_names`` is ignored, as ``None`` is)."""
        import pandas as pd

        frame = pd.DataFrame({spec.column: _column(spec, feed[spec.name]) for spec in self.inputs})
        if not self.classifier:
            return [np.asarray(self.pipeline.predict(frame), dtype=np.float32).reshape(-1, 1)]
        probabilities = np.asarray(self.pipeline.predict_proba(frame), dtype=np.float32)
        if self.labels_from == "predict":
            return [class_codes(self.pipeline, self.pipeline.predict(frame)), probabilities]
        return [probabilities.argmax(axis=1).astype(np.int64), probabilities]


def class_codes(model: Any, labels: Any) -> npt.NDArray[np.int64]:
    """The class codes (positions in ``model.classes_``) of the labels ``model.predict`` gave."""
    classes = list(np.asarray(model.classes_).tolist())
    position = {label: code for code, label in enumerate(classes)}
    return np.array([position[label] for label in np.asarray(labels).tolist()], dtype=np.int64)


def _column(spec: ModelInput, values: npt.NDArray[Any]) -> npt.NDArray[Any]:
    flat = values.reshape(-1)
    if spec.kind == "numeric":
        return flat.astype(np.float64)
    if spec.kind == "boolean":
        numbers = flat.astype(np.float64)
        return np.array([None if np.isnan(v) else bool(v) for v in numbers.tolist()], dtype=object)
    return np.array([None if v == "" else v for v in flat.tolist()], dtype=object)


def load_python_model(served: ServedModel, *, model: str) -> tuple[PythonSession, list[ModelInput]]:
    """Verify the native model's bytes, load them, and wrap them as a session.

    Raises :class:`ServeError` when the bytes are missing or do not hash to
    ``served.expected_hash``, when the training schema is unknown, or when they do not load.
    """
    if not served.inputs:
        raise ServeError(
            f"{model} has no recorded training schema, which the Python path validates "
            "requests against.",
            hint="Re-run `boucle run`: its reference step records the column kinds.",
        )
    pipeline = load_native_verified(
        served.native_bytes, served.expected_hash, model=model, native_format=served.native_format
    )
    _log.warning(
        "%s has no ONNX form: serving its native Python pipeline on the flagged Python path "
        '(serve.python_fallback: allow). Responses carry "runtime": "python".%s',
        model,
        " Its labels are those of its predict (the per-group thresholds of a fair challenger)."
        if served.labels_from == "predict"
        else "",
    )
    # A fair challenger wraps the trained pipeline: its columns are the pipeline's.
    booleans = _boolean_columns(getattr(pipeline, "pipeline", pipeline))
    inputs = [
        ModelInput(spec.name, spec.column, "float32", "boolean")
        if spec.column in booleans
        else spec
        for spec in served.inputs
    ]
    session = PythonSession(
        pipeline,
        inputs,
        classifier=served.task_kind != "regression",
        labels_from=served.labels_from,
    )
    return session, inputs


def load_native_verified(
    data: bytes | None, digest: str, *, model: str, native_format: str = "joblib"
) -> Any:
    """The native model in ``data`` (``joblib`` or ``skops``), once its blake3 is checked."""
    if native_format == "skops":
        return load_skops_verified(data, digest, model=model)
    return unpickle_verified(data, digest, model=model)


def unpickle_verified(data: bytes | None, digest: str, *, model: str) -> Any:
    """The joblib pipeline in ``data``, once its blake3 is checked against ``digest``.

    The bytes come from boucle's own artifact store; they are hashed again here, just before
    unpickling. Raises :class:`ServeError` when they are missing, do not match, or do not load.
    """
    data = _verified(data, digest, model=model)
    import joblib

    try:
        return joblib.load(io.BytesIO(data))
    except Exception as exc:  # an unpicklable class, a missing feature-function module, ...
        raise ServeError(
            f"The native pipeline of {model} does not load: {type(exc).__name__}: {exc}.",
            hint="Run from the project folder (its feature functions must import), with the "
            "library versions it was trained with.",
        ) from exc


def load_skops_verified(data: bytes | None, digest: str, *, model: str) -> Any:
    """A fair challenger's skops model in ``data``, once its blake3 is checked against ``digest``.

    Loaded by :func:`boucle.evaluate.fairness_model_io.load_group_threshold_model` (shared
    with ``boucle gate``). Raises :class:`ServeError` when the bytes are missing, do not
    match, do not load, or are not a
    :class:`~boucle.evaluate.fairness_mitigation.GroupThresholdClassifier`.
    """
    from boucle.errors import BoucleError
    from boucle.evaluate.fairness_model_io import load_group_threshold_model

    try:
        return load_group_threshold_model(data, digest, model=model)
    except BoucleError as exc:
        raise ServeError(exc.message, hint=exc.hint) from exc


def _verified(data: bytes | None, digest: str, *, model: str) -> bytes:
    """``data`` itself, once its blake3 is checked against ``digest`` (else ServeError)."""
    from boucle.errors import BoucleError
    from boucle.store.verified import verified_bytes

    try:
        return verified_bytes(data, digest, kind="pipeline", model=model)
    except BoucleError as exc:
        raise ServeError(exc.message, hint=exc.hint) from exc


def _boolean_columns(pipeline: Any) -> set[str]:
    """Columns the fitted ColumnTransformer reads as booleans (the profile counts them as text)."""
    try:
        fitted = pipeline.named_steps["preprocess"].transformers_
    except (AttributeError, KeyError, TypeError):
        return set()
    return {
        str(column)
        for name, _, columns in fitted
        if name == "bool" and isinstance(columns, list)
        for column in columns
    }
