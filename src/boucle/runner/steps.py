"""The foundation steps: snapshot → split → train → evaluate → register.

Each step is a plain function ``(ctx, **inputs) -> Manifest``; its parameters after ``ctx``
name the steps it reads. Heavy libraries are imported inside the steps so that a fully
cached run never loads them.
"""

from __future__ import annotations

import difflib
import io
from typing import TYPE_CHECKING, Any

from boucle.errors import DataError
from boucle.runner.graph import Manifest, Step

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import pandas as pd

    from boucle.runner.context import RunContext
    from boucle.train.targets import TargetEncoding

__all__ = ["FOUNDATION_STEPS", "load_model", "load_split_frames"]


def snapshot(ctx: RunContext) -> Manifest:
    """Read the source, check the target and sensitive columns, store a Parquet snapshot."""
    from boucle.data import read_table, snapshot_table

    data = ctx.config.data
    options = ctx.config.stores.storage_options
    frame = read_table(data.source, data.read, storage_options=options)
    check_columns(frame, ctx)
    _encode(frame, ctx)  # fails before anything is written when the target is unusable
    snap = snapshot_table(frame, ctx.store, source=data.source)
    return {
        "snapshot_id": snap.id,
        "rows": snap.rows,
        "columns": snap.to_dict()["columns"],
        "source": data.source,
        "source_hash": source_hash(ctx),
        "artifacts": [snap.object_digest],
    }


def split(ctx: RunContext, validate: Manifest) -> Manifest:
    """Draw the held-out test set from the validated snapshot; store the row positions."""
    import numpy as np

    from boucle.train.split import split_table

    frame = _load_snapshot(ctx, validate)
    encoding = _encode(frame, ctx)
    features = frame.drop(columns=[ctx.config.data.target])[encoding.keep]
    cfg = ctx.config.split
    parts = split_table(
        features,
        encoding.y,
        test_size=cfg.test_size,
        seed=cfg.seed,
        stratify=cfg.stratify and ctx.config.task == "classification",
        classes=encoding.classes,
    )
    balance = _split_representation(ctx, features, parts.train_positions)
    buffer = io.BytesIO()
    np.savez(buffer, train=parts.train_positions, test=parts.test_positions)
    digest = ctx.store.put_bytes(buffer.getvalue())
    return {
        "representation": balance,
        "split_id": digest,
        "train_rows": len(parts.train_positions),
        "test_rows": len(parts.test_positions),
        "stratified": parts.stratified,
        "dropped_missing_target": encoding.dropped_missing,
        "artifacts": [digest],
    }


def train(ctx: RunContext, validate: Manifest, split: Manifest) -> Manifest:
    """Fit the pipeline with the hyper-parameter search on the train split; store it.

    The project's feature functions (``features:``), if any, run first: the search and the
    column transformer see their output, and the stored pipeline applies them itself.
    """
    import joblib

    from boucle.train.pipeline import with_feature_functions
    from boucle.train.search import fit_model

    x_train, y_train, _, _, encoding = load_split_frames(ctx, validate, split)
    features = _feature_step(ctx)
    x_fit = x_train if features is None else features.fit_transform(x_train)
    search = ctx.config.train.search
    trials = int(ctx.overrides.get("trials", search.trials))
    timeout = ctx.overrides.get("timeout_s", search.timeout_s)
    result_metric = ctx.config.metric
    ctx.progress("train", 0, max(trials, 1), "searching" if trials else "fitting defaults")
    result = fit_model(
        x_fit,
        y_train,
        task_kind=encoding.kind,
        model=ctx.config.train.model,
        trials=trials,
        timeout_s=timeout,
        metric=ctx.config.metric,
        seed=ctx.config.split.seed,
        fixed_params=ctx.config.train.params,
        n_jobs=ctx.config.train.threads,
        on_trial=lambda number, score: ctx.progress(
            "train", number + 1, trials, f"trial {number + 1}/{trials} {result_metric}={score:.4f}"
        ),
    )
    pipeline = (
        result.pipeline if features is None else with_feature_functions(result.pipeline, features)
    )
    buffer = io.BytesIO()
    joblib.dump(pipeline, buffer)
    digest = ctx.store.put_bytes(buffer.getvalue())
    functions = [] if features is None else list(features.refs_)
    if features is not None:
        raw, fitted = list(x_train.columns), list(x_fit.columns)
        ctx.ledger_event(
            "feature_functions_applied",
            {
                "functions": [
                    {k: f[k] for k in ("spec", "function", "source_hash")} for f in functions
                ],
                "added": [c for c in fitted if c not in raw],
                "removed": [c for c in raw if c not in fitted],
                "model_digest": digest,
            },
        )
    return {
        "model_digest": digest,
        "model": ctx.config.train.model,
        "best_params": result.best_params,
        "search_score": result.best_score,
        "metric": result.metric,
        "trials_completed": result.trials_completed,
        "search_seconds": result.search_seconds,
        "kind": encoding.kind,
        "classes": encoding.classes,
        "positive_class": encoding.positive_class,
        "features": list(x_train.columns),
        "feature_functions": functions,
        "model_inputs": [str(c) for c in x_fit.columns],
        "artifacts": [digest],
    }


def _feature_step(ctx: RunContext) -> Any:
    """The unfitted feature-function step for ``features:``, or None when the list is empty."""
    if not ctx.config.features:
        return None
    from boucle.project.transformer import FeatureFunctionTransformer

    return FeatureFunctionTransformer(
        specs=tuple(ctx.config.features), base_dir=str(ctx.config.base_dir.resolve())
    )


def _train_fingerprint(ctx: RunContext) -> dict[str, Any]:
    """The user code in a model: feature functions' and a plug-in model's source hashes.

    Editing one re-runs train; so does a plug-in model's new distribution version.
    """
    from boucle.plugins import plugin_fingerprint

    if "model_plugin" not in ctx.memo:
        ctx.memo["model_plugin"] = plugin_fingerprint("model", ctx.config.train.model)
    plugin = ctx.memo["model_plugin"]
    return {**_feature_fingerprint(ctx), **({"model_plugin": plugin} if plugin else {})}


def _feature_fingerprint(ctx: RunContext) -> dict[str, Any]:
    """The source hash of each feature function's file: editing one re-runs train."""
    if not ctx.config.features:
        return {"features": []}
    if "feature_refs" not in ctx.memo:
        from boucle.project.features import resolve_features

        refs = resolve_features(ctx.config.features, ctx.config.base_dir)
        ctx.memo["feature_refs"] = [
            {"spec": ref.spec, "source_hash": ref.source_hash} for ref in refs
        ]
    return {"features": ctx.memo["feature_refs"]}


def evaluate(ctx: RunContext, validate: Manifest, split: Manifest, train: Manifest) -> Manifest:
    """Score the model on the held-out split: overall metrics and per-slice metrics."""
    from boucle.evaluate import evaluate_model

    _, _, x_test, y_test, encoding = load_split_frames(ctx, validate, split)
    pipeline = load_model(ctx, train)
    evaluation = evaluate_model(
        pipeline, x_test, y_test, encoding=encoding, sensitive=ctx.config.data.sensitive
    )
    document = evaluation.to_dict()
    from boucle.hashing import canonical_json

    digest = ctx.store.put_bytes(canonical_json(document))
    return {"metrics": document["metrics"], "evaluation_digest": digest, "artifacts": [digest]}


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


def _split_representation(
    ctx: RunContext, features: pd.DataFrame, train_positions: Any
) -> list[dict[str, Any]]:
    """Compare each sensitive group's share in the training rows with the full data.

    The data gate's ``representation.split_tolerance`` applies; with severity ``error`` a
    group whose share moved more than the tolerance (or that vanished) stops the run.
    """
    from boucle.data.validate import raise_for_errors
    from boucle.data.validate.report import ValidationReport
    from boucle.data.validate.representation import check_representation

    config = ctx.config.data.checks.representation
    sensitive = [c for c in ctx.config.data.sensitive if c in features.columns]
    if config.severity == "off" or not sensitive:
        return []
    frame = features.reset_index(drop=True)
    results = [
        r
        for r in check_representation(
            frame, sensitive=sensitive, config=config, train_index=frame.index[train_positions]
        )
        if r.name == "representation_split"
    ]
    raise_for_errors(ValidationReport(results=tuple(results), rows=len(frame), columns=0))
    return [r.to_dict() for r in results]


def check_columns(frame: pd.DataFrame, ctx: RunContext) -> None:
    """Raise DataError when the target or a sensitive column is not in the table."""
    columns = [str(c) for c in frame.columns]
    data = ctx.config.data
    for key, name in [("data.target", data.target)] + [
        ("data.sensitive", s) for s in data.sensitive
    ]:
        if name not in columns:
            close = difflib.get_close_matches(name, columns, n=1, cutoff=0.5)
            shown = ", ".join(columns[:40]) + (", ..." if len(columns) > 40 else "")
            raise DataError(
                f"{key} '{name}' is not a column of {data.source}. Columns: {shown}.",
                hint=(f"Did you mean '{close[0]}'? " if close else "")
                + "Fix the name in boucle.yaml (or data.read.names if the file has no header).",
            )


def _encode(frame: pd.DataFrame, ctx: RunContext) -> TargetEncoding:
    from boucle.train.targets import encode_target

    data = ctx.config.data
    return encode_target(frame[data.target], ctx.config.task, data.positive_class)


def _load_snapshot(ctx: RunContext, snapshot: Manifest) -> pd.DataFrame:
    from boucle.data import load_snapshot

    return load_snapshot(ctx.store, snapshot["snapshot_id"])


def load_split_frames(
    ctx: RunContext, data: Manifest, split: Manifest
) -> tuple[pd.DataFrame, npt.NDArray[Any], pd.DataFrame, npt.NDArray[Any], TargetEncoding]:
    """Rebuild (X_train, y_train, X_test, y_test, encoding) from the stored data and split.

    ``data`` is the manifest of the snapshot to train from (the validate step's output).
    """
    import numpy as np

    frame = _load_snapshot(ctx, data)
    encoding = _encode(frame, ctx)
    features = frame.drop(columns=[ctx.config.data.target])[encoding.keep].reset_index(drop=True)
    positions: dict[str, np.ndarray[Any, Any]]
    with np.load(io.BytesIO(ctx.store.get_bytes(split["split_id"])), allow_pickle=False) as npz:
        positions = {name: npz[name] for name in ("train", "test")}
    return (
        features.iloc[positions["train"]].reset_index(drop=True),
        encoding.y[positions["train"]],
        features.iloc[positions["test"]].reset_index(drop=True),
        encoding.y[positions["test"]],
        encoding,
    )


def load_model(ctx: RunContext, train: Manifest) -> Any:
    """Load the fitted pipeline from the hash-verified store (never from anywhere else)."""
    import joblib

    # Safe to unpickle: get_bytes verifies the blake3 digest recorded by our own train step.
    return joblib.load(io.BytesIO(ctx.store.get_bytes(train["model_digest"])))


def _artifact_location(ctx: RunContext, safe_join: Any) -> str:
    root = ctx.config.stores.root
    location = str(safe_join(root, "mlartifacts"))
    return location if "://" in location else "file://" + location


def _source_config(cfg: Any) -> dict[str, Any]:
    return {"source": cfg.data.source, "read": cfg.data.read}


def _target_config(cfg: Any) -> dict[str, Any]:
    return {"task": cfg.task, "target": cfg.data.target, "positive_class": cfg.data.positive_class}


def source_hash(ctx: RunContext) -> str:
    """blake3 of the raw source file, read once per run (the cache key and the step share it)."""
    if "source_hash" not in ctx.memo:
        from boucle.data import hash_source

        config = ctx.config
        ctx.memo["source_hash"] = hash_source(config.data.source, config.stores.storage_options)
    value: str = ctx.memo["source_hash"]
    return value


def _source_fingerprint(ctx: RunContext) -> dict[str, Any]:
    return {"source_hash": source_hash(ctx)}


from boucle.runner.profile_step import PROFILE_STEP  # noqa: E402  (the steps import Step)
from boucle.runner.validate_step import VALIDATE_STEP  # noqa: E402

FOUNDATION_STEPS: tuple[Step, ...] = (
    Step(
        "snapshot",
        snapshot,
        config=lambda c: {**_source_config(c), **_target_config(c), "sensitive": c.data.sensitive},
        code=("data", "store", "runner/steps"),
        fingerprint=_source_fingerprint,
    ),
    VALIDATE_STEP,
    PROFILE_STEP,
    Step(
        "split",
        split,
        config=lambda c: {
            **_target_config(c),
            "split": c.section("split"),
            "sensitive": c.data.sensitive,
            "representation": c.data.checks.representation.model_dump(mode="json"),
        },
        code=("train/split", "train/targets", "data/validate", "runner/steps"),
    ),
    Step(
        "train",
        train,
        config=lambda c: {
            **_target_config(c),
            "train": c.section("train"),
            "seed": c.split.seed,
            "features": list(c.features),
        },
        code=("train", "runner/steps", "project/features", "project/transformer"),
        fingerprint=_train_fingerprint,
    ),
    Step(
        "evaluate",
        evaluate,
        config=lambda c: {**_target_config(c), "sensitive": c.data.sensitive},
        code=("evaluate", "train/targets", "runner/steps"),
    ),
    Step(
        "register",
        register,
        config=lambda c: {"project": c.project, "tracking": c.stores.tracking},
        code=("registry", "runner/steps"),
    ),
)
