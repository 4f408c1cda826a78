"""The ``register`` step: log the run to MLflow and register the model as the challenger.

It records a ``model_registered`` ledger event and an ``alias_set`` event for each alias the
registration set. With ``quality.block_on`` set, a failed quality check or a dirty work tree
refuses the registration first. :mod:`boucle.registry` (and MLflow with it) is imported
inside the step so that a fully cached run never loads it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from boucle.runner.step_inputs import load_model, load_split_frames

if TYPE_CHECKING:
    from boucle.runner.context import RunContext
    from boucle.runner.graph import Manifest

__all__ = ["register"]


def register(
    ctx: RunContext,
    snapshot: Manifest,
    validate: Manifest,
    split: Manifest,
    train: Manifest,
    evaluate: Manifest,
) -> Manifest:
    """Log the run to MLflow and register the model as a new version (challenger).

    With ``quality.block_on`` set, a failed quality check or a dirty work tree refuses the
    registration first (:func:`~boucle.runner.quality_step.enforce_quality_policy`).
    """
    import json

    from boucle.registry import log_and_register
    from boucle.runner.quality_step import enforce_quality_policy
    from boucle.store.paths import safe_join

    enforce_quality_policy(ctx)

    pipeline = load_model(ctx, train)
    x_train, _, _, _, _ = load_split_frames(ctx, validate, split)
    evaluation = json.loads(ctx.store.get_bytes(evaluate["evaluation_digest"]))
    metrics = {
        f"test_{name}": float(value)
        for name, value in evaluate["metrics"].items()
        if isinstance(value, int | float)
    }
    tags = {
        "boucle.run_id": ctx.run_id,
        "boucle.lineage_id": ctx.lineage_id or "",
        "boucle.snapshot_id": snapshot["snapshot_id"],
        "boucle.training_snapshot_id": validate["snapshot_id"],
        "boucle.model_digest": train["model_digest"],
        "boucle.project": ctx.config.project,
    }
    params = {"model": train["model"], **train["best_params"]}
    params.update(trials_completed=train["trials_completed"], search_metric=train["metric"])
    registration = log_and_register(
        tracking_uri=ctx.config.stores.tracking or "",
        artifact_location=_artifact_location(ctx, safe_join),
        model_name=ctx.config.project,
        run_name=ctx.run_id,
        pipeline=pipeline,
        sample=x_train.head(5),
        params=params,
        metrics=metrics,
        tags=tags,
        documents={
            "evaluation.json": evaluation,
            "train.json": train,
            "snapshot.json": snapshot,
            "validate.json": validate,
        },
        storage_options=ctx.config.stores.storage_options,
    )
    ctx.ledger_event(
        "model_registered",
        {
            "model": registration.model_name,
            "version": registration.version,
            "mlflow_run_id": registration.mlflow_run_id,
            "model_digest": train["model_digest"],
        },
    )
    for alias in registration.aliases:
        ctx.ledger_event(
            "alias_set",
            {"model": registration.model_name, "alias": alias, "version": registration.version},
        )
    return {
        "model_name": registration.model_name,
        "version": registration.version,
        "mlflow_run_id": registration.mlflow_run_id,
        "experiment_id": registration.experiment_id,
        "model_uri": registration.model_uri,
        "aliases": list(registration.aliases),
        "champion_version": registration.champion_version,
    }


def _artifact_location(ctx: RunContext, safe_join: Any) -> str:
    root = ctx.config.stores.root
    location = str(safe_join(root, "mlartifacts"))
    return location if "://" in location else "file://" + location
