"""Served models: what the registry hands over, its hash check, and the loaded runtime.

A :class:`ServedModel` is plain data (the ONNX bytes and the registry's facts about them).
:func:`load_models` checks each one's bytes against the blake3 digest recorded in the registry
*before* onnxruntime sees them; a mismatch, a session that will not open or an unreadable
input schema refuses that model (logged, with the reason kept for ``/readyz``) without
stopping the others. On the ONNX path there is no pickle: models are ONNX bytes and schemas
are JSON metadata. Only a version with no ONNX form takes the flagged Python path
(:mod:`boucle.serve.python_runtime`), which loads the native model (a joblib pipeline, or a
fair challenger's skops file) from boucle's own store after hashing it again.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from boucle.errors import BoucleError
from boucle.hashing import blake3_hex
from boucle.serve.config import RecordRules
from boucle.serve.errors import ServeError
from boucle.serve.inputs import ModelInput, open_serving_session, read_model_inputs
from boucle.serve.predlog import LogRecord
from boucle.serve.schema import RecordSchema

if TYPE_CHECKING:  # boucle.train imports pandas, which a server does not need
    from boucle.store import ArtifactStore
    from boucle.train.targets import TargetKind

__all__ = [
    "LoadedModel",
    "Prediction",
    "ServedModel",
    "load_models",
    "open_serving_session",
    "record_schema",
]

_log = logging.getLogger("boucle.serve")


@dataclass(frozen=True)
class ServedModel:
    """One model version to serve under ``alias``, as recorded in the registry.

    ``expected_hash`` is the blake3 hex digest of ``onnx_bytes`` recorded at registration;
    ``classes`` are the labels of the class codes (``classes[code]``) and ``positive_class``
    the label whose probability is monitored (binary models); ``model_digest``,
    ``background_digest`` and ``store`` locate the native pipeline ``POST /explain`` loads on
    its first call (``None``: not explainable). ``categories`` maps categorical
    columns to the values seen in training (``boucle serve`` reads them from the version's
    reference profile); the request validation enforces them under
    ``serve.unknown_category: reject`` and counts unseen ones under ``allow``.
    """

    alias: str
    name: str
    version: str
    onnx_bytes: bytes = field(repr=False)
    expected_hash: str
    task_kind: TargetKind
    classes: tuple[str, ...] | None = None
    positive_class: str | None = None
    lineage_id: str | None = None
    categories: Mapping[str, tuple[str, ...]] | None = field(default=None, repr=False)
    #: Digest of the native (joblib) pipeline in ``store``, for ``POST /explain``.
    model_digest: str | None = None
    #: Digest of the explain step's background sample (Parquet), for non-tree explainers.
    background_digest: str | None = None
    #: The artifact store holding ``model_digest`` (read only on the first ``/explain``).
    store: ArtifactStore | None = field(default=None, repr=False, compare=False)
    #: ``onnx``, or ``python``: the flagged path of a version with no ONNX form (feature
    #: functions, a model without converter, a fair challenger; see
    #: :mod:`boucle.serve.python_runtime`); then ``onnx_bytes`` is empty, ``native_bytes``
    #: holds the native model from the store and ``expected_hash`` is its digest, and
    #: ``inputs`` is the training schema.
    runtime: Literal["onnx", "python"] = "onnx"
    native_bytes: bytes | None = field(default=None, repr=False)
    inputs: tuple[ModelInput, ...] | None = None
    #: How ``native_bytes`` is stored: the train step's ``joblib`` pipeline, or a fair
    #: challenger's ``skops`` model (:mod:`boucle.serve.native`).
    native_format: Literal["joblib", "skops"] = "joblib"
    #: A classifier's labels on the Python path: the most probable class (``argmax``), or
    #: the model's ``predict`` (a fair challenger's per-group decision).
    labels_from: Literal["argmax", "predict"] = "argmax"


@dataclass(frozen=True)
class Prediction:
    """Outputs for N rows: ``labels`` (labels or values) and class ``probabilities`` [N, K]."""

    labels: list[Any]
    probabilities: npt.NDArray[np.float32] | None


class LoadedModel:
    """A verified model with its onnxruntime session and its generated record schema."""

    def __init__(self, served: ServedModel, session: Any, schema: RecordSchema) -> None:
        self.served = served
        self.session = session
        self.schema = schema
        self.classes = list(served.classes or [])
        #: Column of the monitored probability (binary models: the positive class, else last).
        self.positive_index: int | None = None
        if served.task_kind == "binary":
            positive = served.positive_class
            self.positive_index = (
                self.classes.index(positive) if positive in self.classes else len(self.classes) - 1
            )
        #: How responses and log records name the model (and flag the Python path).
        self.info = {"alias": served.alias, "name": served.name, "version": served.version}
        if served.runtime == "python":
            self.info["runtime"] = "python"
        self._classifier = served.task_kind != "regression"

    def predict(self, feed: dict[str, npt.NDArray[Any]]) -> Prediction:
        """Score ``feed``; onnxruntime failures become :class:`ServeError`."""
        try:
            outputs = self.session.run(None, feed)
        except Exception as exc:  # onnxruntime raises InvalidArgument, Fail, RuntimeException
            raise ServeError(
                f"onnxruntime failed to score model '{self.served.name}' version "
                f"{self.served.version}: {type(exc).__name__}: {exc}",
                hint="Check that the served ONNX file matches its input schema.",
            ) from exc
        if not self._classifier:
            return Prediction(np.asarray(outputs[0]).ravel().tolist(), None)
        classes = self.classes
        labels = [classes[code] for code in np.asarray(outputs[0]).ravel().tolist()]
        return Prediction(labels, np.asarray(outputs[1]))

    def probability_rows(self, prediction: Prediction) -> list[dict[str, Any]] | None:
        """Per row, ``{label: probability}`` (``None`` for a regressor)."""
        if prediction.probabilities is None:
            return None
        classes = self.classes
        # float32 scalars, which orjson writes in their shortest form (0.985246, not 0.98524600)
        return [dict(zip(classes, row, strict=True)) for row in prediction.probabilities]

    def log_record(
        self,
        request_id: str,
        kind: str,
        status: int,
        *,
        route: str,
        seconds: float,
        rows: int,
        request: bytes | None,
        response: bytes | None,
        error: str | None = None,
    ) -> LogRecord:
        """The prediction-log record of a request this model scored (or refused)."""
        served = self.served
        return LogRecord(
            request_id,
            time.time(),
            kind,
            status,
            route,
            served.alias,
            served.name,
            served.version,
            served.lineage_id,
            seconds * 1000.0,
            rows,
            request,
            response,
            error,
        )


def load_models(
    models: Sequence[ServedModel], *, rules: RecordRules, sticky_key: str | None
) -> tuple[dict[str, LoadedModel], dict[str, str]]:
    """Verify and load ``models``: ``({alias: loaded}, {alias: why it was refused})``.

    Duplicate aliases raise :class:`ServeError` (a configuration error); a model whose bytes
    do not hash to ``expected_hash``, or that cannot be opened, is refused and logged.
    """
    aliases = [model.alias for model in models]
    repeated = sorted({alias for alias in aliases if aliases.count(alias) > 1})
    if repeated:
        raise ServeError(
            f"Alias {', '.join(map(repr, repeated))} is given to more than one served model.",
            hint="Serve one model version per alias.",
        )
    loaded: dict[str, LoadedModel] = {}
    refused: dict[str, str] = {}
    sessions: dict[str, tuple[Any, list[ModelInput]]] = {}  # one per ONNX file, not per alias
    for served in models:
        try:
            loaded[served.alias] = _load(
                served, rules=rules, sticky_key=sticky_key, sessions=sessions
            )
        except BoucleError as exc:
            refused[served.alias] = str(exc)
            _log.error("model %r refused: %s", served.alias, exc)
        except Exception as exc:  # anything else refuses this model only, not the others
            refused[served.alias] = f"loading failed: {type(exc).__name__}: {exc}"
            _log.exception("model %r refused", served.alias)
    return loaded, refused


def record_schema(
    served: ServedModel,
    inputs: Sequence[ModelInput],
    rules: RecordRules,
    sticky_key: str | None,
) -> RecordSchema:
    """The request schema of ``served`` under ``rules``, accepting the ``sticky_key`` field."""
    return RecordSchema(
        inputs,
        title=f"{served.name} v{served.version} record",
        max_rows=rules.max_rows,
        extra_key=sticky_key,
        categories=served.categories,
        unknown_category=rules.unknown_category,
    )


def _load(
    served: ServedModel,
    *,
    rules: RecordRules,
    sticky_key: str | None,
    sessions: dict[str, tuple[Any, list[ModelInput]]],
) -> LoadedModel:
    label = f"{served.name} version {served.version} (alias '{served.alias}')"
    if served.runtime == "python":
        from boucle.serve.python_runtime import load_python_model

        session, inputs = load_python_model(served, model=label)
        return LoadedModel(served, session, record_schema(served, inputs, rules, sticky_key))
    actual = blake3_hex(served.onnx_bytes)
    if not hmac.compare_digest(actual, served.expected_hash.strip().lower()):
        raise ServeError(
            f"The ONNX bytes of {label} hash to {actual}, not to {served.expected_hash!r} "
            "recorded in the registry: refusing to load them.",
            hint="The model file was changed or corrupted; re-export and register it again.",
        )
    if served.task_kind != "regression" and not served.classes:
        raise ServeError(
            f"Classifier {label} has no class labels (classes={served.classes!r}).",
            hint="Pass the labels of the class codes in ServedModel.classes.",
        )
    # Aliases of one ONNX file (champion and challenger of a first run) share its session:
    # onnxruntime's run() is thread-safe, and each session holds the model's weights.
    if actual not in sessions:
        session = open_serving_session(served.onnx_bytes, model=label)
        sessions[actual] = (session, read_model_inputs(session, model=label))
    session, inputs = sessions[actual]
    width = _probability_width(session)
    if served.classes and width is not None and width != len(served.classes):
        raise ServeError(
            f"{label} outputs {width} class probabilities but has {len(served.classes)} "
            f"labels {list(served.classes)!r}.",
            hint="Pass the labels the model was trained with, in class-code order.",
        )
    return LoadedModel(served, session, record_schema(served, inputs, rules, sticky_key))


def _probability_width(session: Any) -> int | None:
    outputs = session.get_outputs()
    if len(outputs) < 2:
        return None
    shape = outputs[1].shape
    return shape[-1] if shape and isinstance(shape[-1], int) else None
