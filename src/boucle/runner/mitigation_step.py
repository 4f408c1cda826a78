"""The ``mitigate`` step (``fairness.mitigation: threshold_optimizer``): a fair challenger.

After ``register``, fits fairlearn's ThresholdOptimizer on the training split (prefit, on the
trained pipeline), measures fairness, accuracy and ROC AUC before and after on the held-out
split, and registers the mitigated model as a *separate* MLflow version of the same model,
tagged ``boucle.mitigation=threshold_optimizer`` and aliased ``challenger-fair``: it never
takes ``champion`` or ``challenger`` by itself. The model is stored with skops (the learned
thresholds are plain JSON in :class:`~boucle.evaluate.fairness_mitigation.
GroupThresholdClassifier`; fairlearn's own object cannot be stored by skops). It has no ONNX
form: the step records the block as the export step does (tags ``boucle.runtime=python``,
``boucle.onnx_blocked_by``; ``model_export_blocked``; :mod:`boucle.runner.mitigation_onnx`),
and ``boucle serve``/``predict`` score it on the flagged Python path. Writes
``fairness_mitigated`` {constraint, before, after, version} under the lineage id.

The mitigated version is judged on its **own** evidence, never on the base model's: the step
evaluates its decisions on the held-out split (``evaluation_digest`` and ``metrics`` in the
manifest, as the evaluate step does for the base) and writes, bound to it by ``{model,
version, mitigation_of}`` in the payload (:func:`boucle.governance.collect_evidence` reads the
binding): ``fairness_checked`` (the "after" report), ``robustness_checked`` (the probes run
on the mitigated model, when ``robustness:`` is enabled) and ``explained``. The explanation
is not recomputed: the version's scores *are* the base model's (it only thresholds them per
group), so the event cites the base's SHAP report and says so in ``method`` and
``scores_of``; the per-group thresholds are the rest of the decision. An ONNX export, its
parity and the skew check are blocked for it (its ``model_export_blocked``), never inherited.
Its ``model_registered`` (with ``mitigation_of``) and ``alias_set`` are written as the
register step writes the base's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from boucle.errors import ConfigError
from boucle.hashing import canonical_json
from boucle.runner.graph import Manifest, Step
from boucle.runner.mitigation_evidence import (
    evaluate_decisions,
    explanation_of_scores,
    probe_robustness,
)
from boucle.runner.mitigation_onnx import blocked_tags, record_export_block
from boucle.runner.step_inputs import load_model, load_split_frames

if TYPE_CHECKING:
    from boucle.evaluate.fairness_results import FairnessReport
    from boucle.runner.context import RunContext

__all__ = ["CHALLENGER_FAIR", "MITIGATE_STEP", "ONNX_NOT_EXPORTED", "mitigate"]

#: The alias of the mitigated version.
CHALLENGER_FAIR = "challenger-fair"
#: Why the mitigated version has no ONNX form (so no export, parity or skew check).
ONNX_NOT_EXPORTED = (
    "not exported: its per-group decision thresholds have no ONNX form (it is served through "
    "the flagged Python path)"
)


def mitigate(
    ctx: RunContext,
    validate: Manifest,
    split: Manifest,
    train: Manifest,
    fairness: Manifest,
    register: Manifest,
) -> Manifest:
    """Fit the ThresholdOptimizer, compare before/after, register the fair challenger."""
    import skops.io

    from boucle.evaluate.fairness_mitigation import fit_threshold_optimizer

    cfg = ctx.config.fairness
    if fairness.get("skipped"):
        return {"skipped": f"fairness was skipped: {fairness['skipped']}", "artifacts": []}
    x_train, y_train, x_test, y_test, encoding = load_split_frames(ctx, validate, split)
    if encoding.n_classes != 2:
        return {"skipped": "threshold_optimizer applies to binary targets only", "artifacts": []}
    sensitive = _sensitive_column(ctx, list(x_train.columns))
    pipeline = load_model(ctx, train)
    ctx.progress("mitigate", 0, 1, f"ThresholdOptimizer on '{sensitive}'")
    result = fit_threshold_optimizer(
        pipeline, x_train, y_train, sensitive=sensitive, constraint=cfg.mitigation_constraint
    )
    base = pipeline.predict_proba(x_test)[:, 1]
    before, _ = _measure(ctx, x_test, y_test, (base >= 0.5).astype(int), base, encoding)
    decisions, rates = result.model.predict(x_test), result.model.positive_rate(x_test)
    after, after_report = _measure(ctx, x_test, y_test, decisions, rates, encoding)
    evaluation = evaluate_decisions(
        y_test, decisions, rates, x_test, encoding, ctx.config.data.sensitive
    )
    robustness = probe_robustness(ctx, result.model, x_train, y_train, x_test, y_test)
    put = ctx.store.put_bytes
    reports = {
        "evaluation": evaluation,
        "fairness": after_report.to_dict(),
        "robustness": None if robustness is None else robustness.to_dict(),
    }
    digests = {
        f"{name}_digest": None if report is None else put(canonical_json(report))
        for name, report in reports.items()
    }
    model_digest = put(skops.io.dumps(result.model))
    thresholds_digest = put(canonical_json(result.to_dict()))
    document = {**result.to_dict(), "before": before, "after": after}
    metrics = evaluation["metrics"]
    version = _register(ctx, register, train, result.model, model_digest, document, metrics)
    ctx.ledger_event(
        "fairness_mitigated",
        {
            "constraint": result.constraint,
            "before": before,
            "after": after,
            "version": int(version),
        },
    )
    bound = {
        "model": register["model_name"],
        "version": int(version),
        "mitigation_of": int(register["version"]),
    }
    measured = {
        "measured": after_report.measured,
        "unmeasured_reason": after_report.unmeasured_reason,
    }
    _record_gate(
        ctx, "fairness_checked", after_report, digests["fairness_digest"], {**measured, **bound}
    )
    if robustness is not None:
        _record_gate(ctx, "robustness_checked", robustness, digests["robustness_digest"], bound)
    explained = explanation_of_scores(ctx, result.to_dict(), thresholds_digest, bound)
    if explained is not None:
        ctx.ledger_event("explained", explained)
    return {
        "constraint": result.constraint,
        "sensitive": sensitive,
        "before": before,
        "after": after,
        "model_name": register["model_name"],
        "version": version,
        "base_version": register["version"],
        "alias": CHALLENGER_FAIR,
        "model_digest": model_digest,
        "thresholds_digest": thresholds_digest,
        "metrics": metrics,
        **digests,
        "explained": None if explained is None else explained["scores_of"],
        "onnx": ONNX_NOT_EXPORTED,
        "artifacts": [model_digest, thresholds_digest, *filter(None, digests.values())],
    }


def _record_gate(
    ctx: RunContext, kind: str, report: Any, digest: str | None, extra: dict[str, Any]
) -> None:
    """Write the gate verdict ``kind`` of the mitigated version; recorded, never enforced.

    ``extra`` holds its binding {model, version, mitigation_of} and fields of that kind only.
    ``on_fail`` stops a run on the base model's gate; the fair challenger's verdict is for
    its promotion to judge.
    """
    payload = {"passed": report.passed, "failures": report.failures, "metrics": report.metrics()}
    ctx.ledger_event(kind, {**payload, "report_digest": digest, **extra})


def _sensitive_column(ctx: RunContext, features: list[str]) -> str:
    configured = ctx.config.fairness.mitigation_sensitive
    if configured is not None:
        return configured  # fit_threshold_optimizer names it if it is not a feature
    for column in ctx.config.data.sensitive:
        if column in features:
            return column
    raise ConfigError(
        "fairness.mitigation is threshold_optimizer but no data.sensitive column is a feature "
        f"(data.sensitive: {ctx.config.data.sensitive or 'empty'}).",
        hint="List a sensitive feature column in data.sensitive, or set "
        "fairness.mitigation_sensitive.",
    )


def _measure(
    ctx: RunContext, x_test: Any, y_test: Any, predicted: Any, score: Any, encoding: Any
) -> tuple[dict[str, Any], FairnessReport]:
    """Fairness metrics (as in the fairness step), accuracy and ROC AUC of one prediction."""
    import numpy as np
    from sklearn.metrics import accuracy_score, roc_auc_score

    from boucle.runner.evidence_steps import configured_fairness_report

    report = configured_fairness_report(ctx, y_test, predicted, x_test, encoding)
    two_classes = len(set(np.asarray(y_test).tolist())) == 2
    summary = {
        "passed": report.passed,
        "failures": report.failures,
        "fairness": report.metrics(),
        "accuracy": float(accuracy_score(y_test, predicted)),
        "roc_auc": float(roc_auc_score(y_test, score)) if two_classes else None,
    }
    return summary, report


def _register(
    ctx: RunContext,
    register: Manifest,
    train: Manifest,
    model: Any,
    model_digest: str,
    document: dict[str, Any],
    evaluated: dict[str, Any],
) -> str:
    """Log the mitigated model to MLflow (skops) as a new version aliased challenger-fair.

    Writes ``model_registered`` (with ``mitigation_of``), ``alias_set`` and
    ``model_export_blocked`` for it.
    """
    import skops.io

    from boucle.registry.alias_cache import write_alias_cache
    from boucle.registry.mlflow_bridge import mlflow_session, s3_environment

    tracking = ctx.config.stores.tracking or ""
    name = register["model_name"]
    tags = {
        "boucle.run_id": ctx.run_id,
        "boucle.lineage_id": ctx.lineage_id or "",
        "boucle.project": ctx.config.project,
        "boucle.model_digest": model_digest,
        "boucle.base_model_digest": train["model_digest"],
        "boucle.base_version": str(register["version"]),
        "boucle.mitigation": "threshold_optimizer",
        "boucle.mitigation_constraint": str(document["constraint"]),
    }
    version_tags = {**tags, **blocked_tags()}
    trusted = list(skops.io.get_untrusted_types(data=skops.io.dumps(model)))
    options = ctx.config.stores.storage_options
    with mlflow_session(tracking) as mlflow, s3_environment(options or {}):
        from mlflow import MlflowClient

        client = MlflowClient(tracking_uri=tracking)
        experiment_id = register["experiment_id"]
        with mlflow.start_run(
            experiment_id=experiment_id, run_name=f"{ctx.run_id}-fair", tags=tags
        ) as run:
            mlflow.log_params({"base_version": register["version"], **_params(document)})
            metrics = {
                f"test_{when}_{key}": float(document[when][key])
                for when in ("before", "after")
                for key in ("accuracy", "roc_auc")
                if document[when][key] is not None
            }
            metrics.update(
                {f"test_{k}": float(v) for k, v in evaluated.items() if isinstance(v, int | float)}
            )
            mlflow.log_metrics(metrics)
            mlflow.log_dict(document, "mitigation.json")
            info = mlflow.sklearn.log_model(
                model,
                name="model",
                serialization_format="skops",
                skops_trusted_types=trusted,
            )
        created = client.create_model_version(
            name, source=info.model_uri, run_id=run.info.run_id, tags=version_tags
        )
        version = str(created.version)
        client.set_registered_model_alias(name, CHALLENGER_FAIR, version)
        write_alias_cache(client, tracking, name)  # what `boucle serve` starts from
    # As the register step does: the version's own record (and what puts the events that
    # name it, approvals and promotions included, into its lineage's audit bundle).
    ctx.ledger_event(
        "model_registered",
        {
            "model": name,
            "version": version,
            "mlflow_run_id": run.info.run_id,
            "model_digest": model_digest,
            "mitigation_of": int(register["version"]),
        },
    )
    ctx.ledger_event("alias_set", {"model": name, "alias": CHALLENGER_FAIR, "version": version})
    record_export_block(ctx, name, version)
    return version


def _params(document: dict[str, Any]) -> dict[str, str]:
    return {"constraint": str(document["constraint"]), "sensitive": str(document["sensitive"])}


MITIGATE_STEP = Step(
    "mitigate",
    mitigate,
    config=lambda c: {
        "fairness": c.section("fairness"),
        "sensitive": c.data.sensitive,
        "min_count": c.data.checks.representation.min_count,
        "robustness": c.section("robustness"),
        # Enabling explain: later re-runs it, so the fair challenger cites the explanation.
        "explain": c.explain.enabled,
        "tracking": c.stores.tracking,
        "project": c.project,
    },
    code=(
        "evaluate/fairness_mitigation",
        "evaluate/fairness",
        "evaluate/fairness_results",
        "evaluate/metrics",
        "evaluate/robustness",
        "evaluate/slices",
        "runner/mitigation_step",
        "runner/mitigation_evidence",
        "runner/mitigation_onnx",
        "runner/evidence_steps",
        "runner/step_inputs",
    ),
)
