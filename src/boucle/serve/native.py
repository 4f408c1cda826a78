"""Which model a version without ONNX form is scored with on the flagged Python path.

Two kinds of version have no ONNX form:

* a version of the loop whose export step recorded a block (Python feature functions, a
  plug-in model without converter): its native model is the train step's **joblib**
  pipeline;
* a **fair challenger** (``challenger-fair``, MLflow tag ``boucle.mitigation``): the
  ``mitigate`` step's :class:`~boucle.evaluate.fairness_mitigation.GroupThresholdClassifier`,
  stored with **skops** (the base pipeline plus per-group thresholds, which no ONNX
  converter knows). Its labels are those of its ``predict`` (the group's rate with the
  row's own draw: what its fairness evidence counted), not the most probable class.

:func:`native_pipeline` says which, reads the bytes from boucle's artifact store (verified
against the digest on read) and returns them with the training schema. Shared by
``boucle serve`` (:mod:`boucle.serving`) and batch scoring (:mod:`boucle.batch.scoring`).
This module imports neither MLflow nor pandas.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from boucle.errors import BoucleError, StoreError
from boucle.serve.inputs import ModelInput

if TYPE_CHECKING:
    from boucle.registry import ModelVersionInfo
    from boucle.store import ArtifactStore

__all__ = [
    "FAIR_ONNX_BLOCKED_BY",
    "LabelSource",
    "NativeFormat",
    "NativeModel",
    "native_pipeline",
    "training_inputs",
]

#: How a native model is stored: the train step's joblib file, or a fair challenger's skops.
NativeFormat = Literal["joblib", "skops"]
#: Where a classifier's labels come from: the most probable class, or the model's ``predict``.
LabelSource = Literal["argmax", "predict"]
#: What blocks the ONNX form of a fair challenger (``boucle.onnx_blocked_by`` of its version):
#: ``boucle.evaluate.fairness_mitigation.ONNX_BLOCKED_BY``, not imported from there because
#: that module loads pandas (a test checks they are equal).
FAIR_ONNX_BLOCKED_BY = "per-group decision thresholds (fairness mitigation)"


@dataclass(frozen=True)
class NativeModel:
    """The native model of a version on the Python path: bytes, digest, format, schema."""

    digest: str
    data: bytes = field(repr=False)
    inputs: tuple[ModelInput, ...]
    format: NativeFormat = "joblib"
    labels_from: LabelSource = "argmax"


def native_pipeline(
    store: ArtifactStore,
    manifest: dict[str, Any],
    info: ModelVersionInfo,
    *,
    label: str,
    fallback: str,
    ref: str,
) -> NativeModel:
    """The native model of a version to score on the Python path (see the module docstring).

    Only a version with no ONNX form has one: with feature functions, whose export step
    recorded a block, or a fair challenger; any other version without ONNX just needs
    ``boucle export``. And only under ``python_fallback: allow``. The bytes come from the
    artifact store, which verifies them against the digest on read.
    """
    train = manifest["steps"]["train"]["manifest"]
    functions = [str(f.get("spec")) for f in train.get("feature_functions") or []]
    fair = bool(info.tags.get("boucle.mitigation"))
    if fair:  # its tags say so since the mitigate step records the block; older ones too
        blocked_by = info.tags.get("boucle.onnx_blocked_by") or FAIR_ONNX_BLOCKED_BY
        why = f"it is a fair challenger, whose {blocked_by} have no ONNX converter"
    elif functions:
        why = f"its feature functions {', '.join(map(repr, functions))} are Python code"
    elif info.tags.get("boucle.runtime") == "python":  # recorded by the export step
        why = f"{info.tags.get('boucle.onnx_blocked_by')} has no ONNX converter"
    else:
        raise BoucleError(f"{label} has no ONNX export.", hint=f"Run `boucle export {ref}` first.")
    if fallback == "refuse":
        hint = (
            "Set serve.python_fallback: allow to score it with its Python model (its labels "
            "are those its fairness evidence counted), or serve its base version "
            f"{info.tags.get('boucle.base_version', '')}, which has an ONNX export."
            if fair
            else "Set serve.python_fallback: allow to score it with its Python pipeline, or "
            "retrain without what blocks ONNX (features: in boucle.yaml, train.model)."
        )
        raise BoucleError(
            f"{label} has no ONNX form: {why}, and serve.python_fallback is 'refuse'.",
            hint=hint,
        )
    # A fair challenger's own model is the mitigate step's (its tag), never the train step's.
    digest = info.tags.get("boucle.model_digest") or ("" if fair else train.get("model_digest"))
    if not digest:
        raise StoreError(
            f"{label} records no native model digest (boucle.model_digest).",
            hint="Re-run `boucle run` to register a new version.",
        )
    inputs = training_inputs(store, manifest)
    if not inputs:
        raise StoreError(
            f"{label} has no recorded training schema (its run has no reference profile).",
            hint="Re-run `boucle run`: its reference step records the column kinds.",
        )
    return NativeModel(
        digest=str(digest),
        data=store.get_bytes(str(digest)),  # verified against the digest on read
        inputs=inputs,
        format="skops" if fair else "joblib",
        labels_from="predict" if fair else "argmax",
    )


def training_inputs(store: ArtifactStore, manifest: dict[str, Any]) -> tuple[ModelInput, ...]:
    """The raw feature columns of a run, typed by its reference profile (numeric or not).

    The Python path validates requests against them; boolean columns, which the profile counts
    as categories, are retyped from the fitted pipeline when it loads.
    """
    reference = manifest.get("steps", {}).get("reference", {}).get("manifest") or {}
    kinds: dict[str, str] = {}
    if reference.get("reference_digest"):
        profile = json.loads(store.get_bytes(reference["reference_digest"]))
        kinds = {str(f["name"]): str(f.get("kind")) for f in profile.get("features", [])}
    columns = [str(c) for c in manifest["steps"]["train"]["manifest"].get("features", [])]
    return tuple(
        ModelInput(column, column, "float32", "numeric")
        if kinds.get(column) == "numeric"
        else ModelInput(column, column, "string", "categorical")
        for column in columns
        if column in kinds
    )
