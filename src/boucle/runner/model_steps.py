"""The model steps of the foundation: ``train`` (fit with the search) and ``evaluate``.

``train`` fits the pipeline on the train split, with the project's feature functions first
when ``features:`` lists any; :func:`train_fingerprint` puts their source hashes (and a
plug-in model's version) in train's cache key. ``evaluate`` scores the stored model on the
held-out split. Heavy libraries are imported inside the steps so that a fully cached run
never loads them.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from boucle.runner.step_inputs import load_model, load_split_frames

if TYPE_CHECKING:
    from boucle.runner.context import RunContext
    from boucle.runner.graph import Manifest

__all__ = ["evaluate", "train", "train_fingerprint"]


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


def train_fingerprint(ctx: RunContext) -> dict[str, Any]:
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
