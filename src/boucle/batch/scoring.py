"""The model of a batch and the scoring of one chunk of rows into output columns.

:func:`load_batch_model` resolves a registered version and reads its ONNX bytes from the
artifact store by the digest the registry recorded (the store verifies the blake3 on read;
no pickle is involved). A version with no ONNX form (Python feature functions, a model
without converter, a fair challenger) is scored with its native model instead, as ``boucle
serve`` does (``serve.python_fallback``; see :mod:`boucle.serve.native`): a fair
challenger's labels are those of its ``predict``, its probabilities its ``predict_proba``.
The output file's metadata says ``boucle.runtime: python``. :func:`score_chunk` turns a
DataFrame chunk into the output table: the id column, ``model_version``, ``prediction`` and,
for classifiers, one ``proba_<class>`` column per class. The same function runs in the local
loop and in the Dask workers, so both give the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from boucle.errors import BoucleError, DataError

if TYPE_CHECKING:
    import pandas as pd

    from boucle.config import BoucleConfig
    from boucle.export.runtime import OnnxInput
    from boucle.registry import ModelVersionInfo
    from boucle.store import ArtifactStore

__all__ = ["ROW_NUMBER", "BatchModel", "load_batch_model", "open_batch_session", "score_chunk"]

#: Name of the id column made when the input has none: the row's position in the input.
ROW_NUMBER = "row_number"


@dataclass(frozen=True)
class BatchModel:
    """A registered version ready to score: ONNX bytes, input schema, classes, lineage."""

    name: str
    version: str
    onnx_digest: str
    onnx_bytes: bytes = field(repr=False)
    inputs: tuple[OnnxInput, ...]
    task_kind: str
    classes: tuple[str, ...] | None
    lineage_id: str | None
    #: ``onnx``, or ``python``: a version with no ONNX form (Python feature functions, a
    #: model without converter, a fair challenger), scored with its native model
    #: (``native_bytes`` from the store, whose blake3 is ``model_digest``: the train step's
    #: joblib file, or a fair challenger's skops file, per ``native_format``).
    runtime: str = "onnx"
    native_bytes: bytes | None = field(default=None, repr=False)
    model_digest: str | None = None
    native_format: str = "joblib"
    #: ``argmax`` (most probable class) or ``predict`` (a fair challenger's own decision).
    labels_from: str = "argmax"

    @property
    def columns(self) -> list[str]:
        """The feature columns the model reads."""
        return [spec.column for spec in self.inputs]

    def metadata(self) -> dict[bytes, bytes]:
        """What the output Parquet file records about the model (schema metadata)."""
        values = {
            "boucle.model": self.name,
            "boucle.model_version": self.version,
            "boucle.onnx_digest": self.onnx_digest,
            "boucle.lineage_id": self.lineage_id or "",
            "boucle.runtime": self.runtime,
            "boucle.model_digest": self.model_digest or "",
        }
        return {key.encode(): value.encode() for key, value in values.items()}


def load_batch_model(config: BoucleConfig, ref: str) -> BatchModel:
    """The version ``ref`` (alias or number) of the project's model, with its ONNX export."""
    import json

    from boucle.export.runtime import read_input_schema
    from boucle.registry import resolve_version
    from boucle.runner.session import open_store, run_manifest_path

    info = resolve_version(config.stores.tracking or "", config.project, ref)
    digest = info.tags.get("boucle.onnx_digest")
    store = open_store(config)
    manifest = json.loads(store.read_bytes(run_manifest_path(info.boucle_run_id)))
    train = manifest["steps"]["train"]["manifest"]
    classes = train.get("classes")
    if not digest and (
        info.tags.get("boucle.runtime") == "python"
        or info.tags.get("boucle.mitigation")
        or train.get("feature_functions")
    ):
        return _python_model(config, info, manifest, store)
    if not digest:
        raise BoucleError(
            f"version {info.version} of '{info.model_name}' has no ONNX export to score with.",
            hint=f"Run `boucle export {ref}` first.",
        )
    onnx_bytes = store.get_bytes(digest)  # verified against the digest
    classes = train.get("classes")
    return BatchModel(
        name=info.model_name,
        version=info.version,
        onnx_digest=digest,
        onnx_bytes=onnx_bytes,
        inputs=tuple(read_input_schema(onnx_bytes)),
        task_kind=str(train["kind"]),
        classes=tuple(str(c) for c in classes) if classes else None,
        lineage_id=info.tags.get("boucle.lineage_id") or None,
    )


def _python_model(
    config: BoucleConfig, info: ModelVersionInfo, manifest: dict[str, Any], store: ArtifactStore
) -> BatchModel:
    """A version with no ONNX form, under ``serve.python_fallback: allow`` (the default)."""
    from boucle.export.runtime import make_input
    from boucle.serve.native import native_pipeline

    train = manifest["steps"]["train"]["manifest"]
    native = native_pipeline(
        store,
        manifest,
        info,
        label=f"version {info.version} of '{info.model_name}'",
        fallback=str(config.serve.get("python_fallback", "allow")),
        ref=info.version,
    )
    classes = train.get("classes")
    return BatchModel(
        name=info.model_name,
        version=info.version,
        onnx_digest="",
        onnx_bytes=b"",
        inputs=tuple(make_input(spec.column, spec.kind) for spec in native.inputs),
        task_kind=str(train["kind"]),
        classes=tuple(str(c) for c in classes) if classes else None,
        lineage_id=info.tags.get("boucle.lineage_id") or None,
        runtime="python",
        native_bytes=native.data,
        model_digest=native.digest,
        native_format=native.format,
        labels_from=native.labels_from,
    )


def open_batch_session(model: BatchModel, *, single_thread: bool) -> Any:
    """An onnxruntime session on the model (one thread per call in Dask workers).

    For a model on the Python path: its native model, hashed again before it is loaded.
    """
    if model.runtime == "python":
        from boucle.serve.python_runtime import load_native_verified

        label = f"'{model.name}' version {model.version}"
        return load_native_verified(
            model.native_bytes,
            str(model.model_digest),
            model=label,
            native_format=model.native_format,
        )
    from boucle.export.runtime import open_session

    return open_session(model.onnx_bytes, model=model.name, single_thread=single_thread)


def score_chunk(
    model: BatchModel,
    session: Any,
    chunk: pd.DataFrame,
    *,
    id_column: str | None,
    first_row: int,
    source: str,
) -> Any:
    """The output table (pyarrow) of one chunk; ``first_row`` numbers rows without an id."""
    import numpy as np
    import pyarrow as pa

    if model.runtime == "python":
        outputs = _native_outputs(model, session, chunk, source)
    else:
        from boucle.export.runtime import run_session, to_onnx_inputs

        try:
            feed = to_onnx_inputs(chunk, model.inputs)
        except DataError as exc:
            raise DataError(f"{source}: {exc.message}", hint=exc.hint) from exc
        outputs = run_session(session, feed, model=model.name)
    rows = len(chunk)
    if id_column is None:
        ids = pa.array(np.arange(first_row, first_row + rows, dtype=np.int64))
        columns: dict[str, Any] = {ROW_NUMBER: ids}
    else:
        columns = {id_column: pa.Array.from_pandas(chunk[id_column])}
    columns["model_version"] = pa.repeat(pa.scalar(model.version), rows)
    if model.classes is None:
        columns["prediction"] = pa.array(np.asarray(outputs[0], dtype=np.float64).ravel())
    else:
        codes = np.asarray(outputs[0]).ravel().astype(np.int64)
        columns["prediction"] = pa.array(np.asarray(model.classes, dtype=object)[codes])
        probabilities = np.asarray(outputs[1], dtype=np.float64)
        for index, label in enumerate(model.classes):
            columns[f"proba_{label}"] = pa.array(probabilities[:, index])
    return pa.table(columns)


def _native_outputs(model: BatchModel, pipeline: Any, chunk: pd.DataFrame, source: str) -> Any:
    """``[labels]`` or ``[class codes, probabilities]`` of the native pipeline on ``chunk``."""
    import numpy as np

    rows = chunk[model.columns]
    try:
        if model.classes is None:
            return [np.asarray(pipeline.predict(rows), dtype=np.float64)]
        probabilities = np.asarray(pipeline.predict_proba(rows), dtype=np.float64)
        if model.labels_from == "predict":  # a fair challenger: its own decision
            from boucle.serve.python_runtime import class_codes

            return [class_codes(pipeline, pipeline.predict(rows)), probabilities]
    except BoucleError as exc:  # a feature function that fails on these rows
        raise DataError(f"{source}: {exc.message}", hint=exc.hint) from exc
    except (TypeError, ValueError) as exc:
        raise DataError(
            f"{source}: the native pipeline of '{model.name}' version {model.version} cannot "
            f"score these rows: {type(exc).__name__}: {exc}",
            hint="Check the file's column types against the training data.",
        ) from exc
    return [probabilities.argmax(axis=1), probabilities]
