"""The ``export`` step: ONNX conversion, parity on the held-out split, optional int8.

The ONNX file, the parity report and the quantization report go to the artifact store, are
attached to the MLflow run of the version, and the version is tagged with the ONNX digest.
A model whose feature functions block ONNX is recorded as such (``model_export_blocked``)
instead of failing the run: see :func:`_blocked`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from boucle.hashing import canonical_json
from boucle.runner.graph import Manifest, Step
from boucle.runner.step_inputs import load_model, load_split_frames

if TYPE_CHECKING:
    from boucle.runner.context import RunContext

__all__ = ["EXPORT_STEP", "export"]


def export(
    ctx: RunContext, validate: Manifest, split: Manifest, train: Manifest, register: Manifest
) -> Manifest:
    """Convert the registered pipeline to ONNX; fail above the parity tolerance."""
    from boucle.export import export_onnx, quantize
    from boucle.registry import attach_files, tag_version
    from boucle.train.estimators import get_estimator_spec
    from boucle.train.pipeline import feature_function_specs

    cfg = ctx.config.export
    x_train, _, x_test, y_test, encoding = load_split_frames(ctx, validate, split)
    pipeline = load_model(ctx, train)
    model = train["model"]
    blocking = feature_function_specs(pipeline)
    if blocking:
        many = len(blocking) > 1
        return _blocked(
            ctx,
            register,
            blocking,
            f"feature function{'s' if many else ''} {', '.join(map(repr, blocking))} "
            f"(features: in boucle.yaml) {'are' if many else 'is'} Python code, which has no "
            "ONNX form",
        )
    if not get_estimator_spec(model).onnx_convertible:
        return _blocked(
            ctx,
            register,
            [f"train.model: {model}"],
            f"model plug-in {model!r} does not declare onnx_convertible = True (no skl2onnx "
            "converter)",
        )
    onnx = export_onnx(
        pipeline, x_test, task_kind=encoding.kind, model=model, tolerance=cfg.tolerance
    )
    onnx_digest = ctx.store.put_bytes(onnx.onnx_bytes)
    report: dict[str, Any] = {"onnx": onnx.to_dict(), "quantization": None}
    files = {"model.onnx": onnx.onnx_bytes}
    artifacts = [onnx_digest]
    if cfg.quantize.mode != "off":
        quantized = quantize(
            onnx.onnx_bytes,
            mode=cfg.quantize.mode,
            calibration=x_train.sample(min(len(x_train), 1000), random_state=0),
            evaluate=lambda data: _onnx_score(data, x_test, y_test, encoding.kind, ctx, model),
            max_drop=cfg.quantize.max_drop,
        )
        report["quantization"] = quantized.to_dict()
        if quantized.kept and quantized.quantized_bytes is not None:
            int8_digest = ctx.store.put_bytes(quantized.quantized_bytes)
            report["quantization"]["digest"] = int8_digest
            files["model.int8.onnx"] = quantized.quantized_bytes
            artifacts.append(int8_digest)
    report_digest = ctx.store.put_bytes(canonical_json(report))
    artifacts.append(report_digest)
    files["export.json"] = canonical_json(report)
    tracking = ctx.config.stores.tracking or ""
    attach_files(
        tracking,
        register["mlflow_run_id"],
        files,
        folder="onnx",
        storage_options=ctx.config.stores.storage_options,
    )
    tags = {"boucle.onnx_digest": onnx_digest}
    if "model.int8.onnx" in files:
        tags["boucle.onnx_int8_digest"] = report["quantization"]["digest"]
    tag_version(tracking, register["model_name"], register["version"], tags)
    parity = onnx.parity.to_dict()
    quant = report["quantization"]
    ctx.ledger_event(
        "model_exported",
        {
            "model": register["model_name"],
            "version": register["version"],
            "onnx_digest": onnx_digest,
            "parity": {k: parity.get(k) for k in ("max_abs_diff", "label_agreement", "passed")},
            "quantization": None if quant is None else quant.get("decision"),
        },
    )
    return {
        "onnx_digest": onnx_digest,
        "report_digest": report_digest,
        "size_bytes": onnx.size_bytes,
        "parity": parity,
        "quantization": quant,
        "inputs": [spec.to_dict() for spec in onnx.inputs],
        "artifacts": artifacts,
    }


def _blocked(ctx: RunContext, register: Manifest, blocked_by: list[str], reason: str) -> Manifest:
    """A model with no ONNX form (Python feature functions, a plug-in without a converter).

    Recorded, not a failure of the run: the version is tagged ``boucle.runtime=python`` (with
    what blocks ONNX), and the ledger gets ``model_export_blocked``. ``boucle serve`` then
    serves it through the flagged Python path (or refuses, under ``serve.python_fallback:
    refuse``); ``boucle export`` reports it as an error; the parity gate fails for want of an
    ONNX model.
    """
    from boucle.registry import tag_version

    tags = {"boucle.runtime": "python", "boucle.onnx_blocked_by": ", ".join(blocked_by)}
    tag_version(ctx.config.stores.tracking or "", register["model_name"], register["version"], tags)
    ctx.ledger_event(
        "model_export_blocked",
        {
            "model": register["model_name"],
            "version": register["version"],
            "blocked_by": blocked_by,
            "reason": reason,
            "runtime": "python",
        },
    )
    return {
        "onnx_digest": None,
        "blocked_by": blocked_by,
        "reason": reason,
        "runtime": "python",
        "artifacts": [],
    }


def _onnx_score(
    data: bytes, x_test: Any, y_test: Any, kind: str, ctx: RunContext, model: str
) -> float:
    """The search metric of an ONNX model on the held-out rows (higher is better)."""
    import numpy as np

    from boucle.export.runtime import open_session, read_input_schema, run_session
    from boucle.export.runtime import to_onnx_inputs as feed_of
    from boucle.train.scoring import get_metric, score_predictions

    session = open_session(data, model=model)
    outputs = run_session(session, feed_of(x_test, read_input_schema(data)), model=model)
    prediction = (
        np.asarray(outputs[0], dtype=np.float64).ravel()
        if kind == "regression"
        else np.asarray(outputs[1], dtype=np.float64)
    )
    metric = get_metric(ctx.config.metric, kind)  # type: ignore[arg-type]
    score = score_predictions(metric.name, y_test, prediction, kind)  # type: ignore[arg-type]
    return score if metric.direction == "maximize" else -score


EXPORT_STEP = Step(
    "export",
    export,
    config=lambda c: {"export": c.section("export"), "tracking": c.stores.tracking},
    code=("export", "runner/export_step", "runner/step_inputs"),
)
