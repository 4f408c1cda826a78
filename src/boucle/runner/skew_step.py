"""The ``skew`` step: train/serve skew check of the exported model (after ``export``).

Two things must hold for the model served to be the model trained: the ONNX model agrees with
the native pipeline (the export step's parity numbers: max absolute difference, label
agreement), and the ONNX input schema (:func:`boucle.export.read_input_schema`) equals the
training schema: the same feature columns with the same kinds (numeric / categorical /
boolean, as :func:`boucle.train.pipeline.classify_columns` sees the training rows), and the
fitted pipeline ignores categories not seen in training instead of failing. Writes
``skew_checked`` {passed, failures, metrics} under the lineage id. With ``export.enabled:
false`` the step is :data:`SKEW_SKIPPED_STEP`, which records why it did nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from boucle.runner.graph import Manifest, Step
from boucle.runner.step_inputs import load_model, load_split_frames

if TYPE_CHECKING:
    from boucle.runner.context import RunContext

__all__ = ["SKEW_SKIPPED_STEP", "SKEW_STEP", "compare_schemas", "skew", "skew_skipped"]


def skew(
    ctx: RunContext, validate: Manifest, split: Manifest, train: Manifest, export: Manifest
) -> Manifest:
    """Compare the exported model's inputs and parity with the training schema and model."""
    from boucle.export import read_input_schema
    from boucle.train.pipeline import classify_columns

    if not export.get("onnx_digest"):
        return {"skipped": f"no ONNX model to compare: {export.get('reason', 'not exported')}"}
    x_train, _, _, _, _ = load_split_frames(ctx, validate, split)
    kinds = classify_columns(x_train)
    training = {str(c): "numeric" for c in kinds.numeric}
    training.update({str(c): "categorical" for c in kinds.categorical})
    training.update({str(c): "boolean" for c in kinds.boolean})
    training = {c: training[c] for c in map(str, train["features"]) if c in training}
    served: dict[str, str] = {
        spec.column: str(spec.kind)
        for spec in read_input_schema(ctx.store.get_bytes(export["onnx_digest"]))
    }
    policy = unseen_category_policy(load_model(ctx, train))
    parity = export.get("parity") or {}
    metrics: dict[str, Any] = {
        "max_abs_diff": parity.get("max_abs_diff"),
        "label_agreement": parity.get("label_agreement"),
        **compare_schemas(training, served),
        "unseen_category_policy": policy,
    }
    failures = _failures(metrics, parity)
    payload = {"passed": not failures, "failures": failures, "metrics": metrics}
    ctx.ledger_event("skew_checked", payload)
    return {**payload, "onnx_digest": export["onnx_digest"], "artifacts": []}


def compare_schemas(training: dict[str, str], served: dict[str, str]) -> dict[str, Any]:
    """Columns the serving schema lacks, has in excess, or types differently from training.

    Both arguments map a feature column to its kind (numeric, categorical, boolean).
    """
    return {
        "missing_inputs": [c for c in training if c not in served],
        "extra_inputs": [c for c in served if c not in training],
        "dtype_mismatches": [
            {"column": c, "training": kind, "serving": served[c]}
            for c, kind in training.items()
            if c in served and served[c] != kind
        ],
    }


def unseen_category_policy(pipeline: Any) -> str:
    """What the fitted pipeline does with a category not seen in training.

    ``ignore`` (one-hot: all zeros), ``encoded_as_unknown`` (ordinal: the unknown code),
    ``error``, or ``no_categorical_inputs``.
    """
    policies = set()
    for name, transformer, _ in _transformers(pipeline):
        if name == "remainder":
            continue
        encoder = _last_step(transformer)
        handle = getattr(encoder, "handle_unknown", None)
        if handle is None:
            continue
        policies.add(
            {"ignore": "ignore", "infrequent_if_exist": "ignore"}.get(
                str(handle), "encoded_as_unknown" if handle == "use_encoded_value" else "error"
            )
        )
    if not policies:
        return "no_categorical_inputs"
    return "error" if "error" in policies else sorted(policies)[0]


def _transformers(pipeline: Any) -> list[tuple[str, Any, Any]]:
    try:
        return list(pipeline.named_steps["preprocess"].transformers_)
    except (AttributeError, KeyError, TypeError):
        return []


def _last_step(transformer: Any) -> Any:
    steps = getattr(transformer, "steps", None)
    return steps[-1][1] if steps else transformer


def _failures(metrics: dict[str, Any], parity: dict[str, Any]) -> list[str]:
    failures = []
    if parity.get("passed") is False:
        failures.append(
            f"ONNX and native predictions disagree: max |diff| {metrics['max_abs_diff']}, "
            f"label agreement {metrics['label_agreement']}"
        )
    if metrics["missing_inputs"]:
        failures.append(f"serving schema lacks training column(s) {metrics['missing_inputs']}")
    if metrics["extra_inputs"]:
        failures.append(f"serving schema has column(s) not in training {metrics['extra_inputs']}")
    for item in metrics["dtype_mismatches"]:
        failures.append(
            f"column '{item['column']}' is {item['training']} in training but {item['serving']} "
            "when served"
        )
    if metrics["unseen_category_policy"] == "error":
        failures.append("an unseen category would fail at serving time (handle_unknown=error)")
    return failures


def skew_skipped(ctx: RunContext, train: Manifest) -> Manifest:
    """``export.enabled: false``: there is no exported model to compare; nothing is recorded."""
    return {"skipped": "export is disabled (export.enabled: false): no ONNX model to compare"}


_CODE = ("runner/skew_step", "runner/step_inputs", "export/runtime", "train/pipeline")
SKEW_STEP = Step(
    "skew",
    skew,
    config=lambda c: {"export": c.section("export"), "target": c.data.target},
    code=_CODE,
)
SKEW_SKIPPED_STEP = Step(
    "skew", skew_skipped, config=lambda c: {"export_enabled": c.export.enabled}, code=_CODE
)
