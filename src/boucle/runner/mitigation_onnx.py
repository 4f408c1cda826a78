"""The fair challenger has no ONNX form: recorded as such, and ``boucle export`` refuses it.

The ``mitigate`` step's model (:class:`~boucle.evaluate.fairness_mitigation.
GroupThresholdClassifier`) applies per-group decision thresholds, with a per-row draw, to the
base pipeline's scores; no ONNX converter knows them. So the step records the block the way
the export step records a model whose feature functions block ONNX: MLflow tags
``boucle.runtime=python`` and ``boucle.onnx_blocked_by`` on the version
(:func:`blocked_tags`) and a ``model_export_blocked`` ledger event naming it
(:func:`record_export_block`). ``boucle serve`` and ``boucle predict`` then score it on the
flagged Python path (:mod:`boucle.serve.native`), the ``onnx_parity`` and ``serving_skew``
policy items read "no ONNX form", and its documents list the block. ``boucle export`` must
refuse it (:func:`refuse_fair_export`): replaying its run would export the *base* pipeline.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from boucle.errors import ExportError

if TYPE_CHECKING:
    from boucle.registry import ModelVersionInfo
    from boucle.runner.context import RunContext

__all__ = ["FAIR_ONNX_REASON", "blocked_tags", "record_export_block", "refuse_fair_export"]

#: The ``reason`` of the fair challenger's ``model_export_blocked`` event.
FAIR_ONNX_REASON = (
    "per-group decision thresholds (fairness mitigation) of the fair challenger, applied with "
    "a per-row draw to its base model's scores, have no ONNX converter; it is served through "
    "the flagged Python path"
)


def blocked_tags() -> dict[str, str]:
    """The MLflow tags of a fair challenger's version: Python runtime, and what blocks ONNX."""
    from boucle.evaluate.fairness_mitigation import ONNX_BLOCKED_BY

    return {"boucle.runtime": "python", "boucle.onnx_blocked_by": ONNX_BLOCKED_BY}


def record_export_block(ctx: RunContext, model: str, version: str) -> dict[str, Any]:
    """Write the fair challenger's ``model_export_blocked`` (as the export step's) and return it.

    The payload names the version (``model``, ``version``): it is that version's evidence only
    (:func:`boucle.governance.collect_evidence`), never its base's.
    """
    from boucle.evaluate.fairness_mitigation import ONNX_BLOCKED_BY

    payload = {
        "model": model,
        "version": str(version),
        "blocked_by": [ONNX_BLOCKED_BY],
        "reason": FAIR_ONNX_REASON,
        "runtime": "python",
    }
    ctx.ledger_event("model_export_blocked", payload)
    return payload


def refuse_fair_export(info: ModelVersionInfo) -> None:
    """Raise :class:`ExportError` when ``info`` is a fair challenger (tag ``boucle.mitigation``).

    ``boucle export`` calls it before replaying the version's run, whose export step would
    convert the base pipeline, not this version's model.
    """
    if not info.tags.get("boucle.mitigation"):
        return
    from boucle.evaluate.fairness_mitigation import ONNX_BLOCKED_BY

    blocked_by = info.tags.get("boucle.onnx_blocked_by") or ONNX_BLOCKED_BY
    base = info.tags.get("boucle.base_version") or "BASE_VERSION"
    raise ExportError(
        f"Version {info.version} of '{info.model_name}' is a fair challenger and cannot be "
        f"exported to ONNX: its {blocked_by} have no ONNX converter (recorded in the ledger "
        "as model_export_blocked).",
        hint="`boucle serve` and `boucle predict` score it through the flagged Python path "
        f"(serve.python_fallback: allow); `boucle export {base}` exports the base model's "
        "scores, without the per-group thresholds.",
    )
