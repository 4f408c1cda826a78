"""Evaluate the gates for a project: load both versions, score them, record the decision.

Both versions are loaded from the artifact store of the runs that trained them (hash
verified, and checked against the ``boucle.model_digest`` tag of the registry) and scored on
the challenger's held-out test rows, plus recent labelled rows when given. A fair challenger
(``challenger-fair``, tag ``boucle.mitigation``) is its ``mitigate`` step's
GroupThresholdClassifier, never the train step's pipeline of the run it shares with its base,
and is scored on its own decisions (:mod:`boucle.registry.gates_decisions`). The decision is
appended to the ledger as ``gate_evaluated`` with the challenger's lineage id.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from boucle.errors import BoucleError, DataError, IntegrityError, TrackingError
from boucle.registry.gates import Gate, GateCandidate, GateContext, GateDecision, evaluate_gates

if TYPE_CHECKING:
    import numpy.typing as npt
    import pandas as pd

    from boucle.config import BoucleConfig
    from boucle.ledger import Ledger
    from boucle.registry.versions import ModelVersionInfo
    from boucle.store import ArtifactStore

__all__ = ["build_gate_context", "compared_metric", "custom_gates", "load_candidate", "run_gates"]


def run_gates(
    config: BoucleConfig,
    challenger: str = "challenger",
    *,
    against: str = "champion",
    recent: str | os.PathLike[str] | None = None,
    gates: Sequence[Gate] | None = None,
    extra_gates: Sequence[Gate] = (),
) -> GateDecision:
    """Evaluate ``gates`` (default: those of ``gates:``) for ``challenger`` vs ``against``.

    The default gates end with the plug-ins of ``gates.custom``.
    ``challenger`` and ``against`` are aliases, version numbers or ``name@alias``. When
    ``against`` is the default ``champion`` and there is none, or it is the challenger itself
    (the first version), the comparison gates are skipped and the others still apply.
    Writes one ``gate_evaluated`` event and returns the decision.
    """
    from boucle.registry.gates_builtin import default_gates
    from boucle.runner.context import new_run_id
    from boucle.runner.session import open_ledger, open_store

    store = open_store(config)
    plugins = custom_gates(config) if gates is None else []  # load errors before any work
    with open_ledger(config) as ledger:
        context = build_gate_context(
            config, store, ledger, challenger=challenger, against=against, recent=recent
        )
        chosen = list(gates) if gates is not None else [*default_gates(config.gates), *plugins]
        checks = evaluate_gates(context, [*chosen, *extra_gates])
        champion = context.champion
        decision = GateDecision(
            model=context.challenger.model_name,
            challenger_version=context.challenger.version,
            champion_version=None if champion is None else champion.version,
            passed=all(check.passed for check in checks),
            checks=tuple(checks),
            metric=context.metric,
            test=config.gates.test,
            rows=dict(context.rows),
            notes=tuple(context.notes),
            evaluation_id=new_run_id(),
        )
        event = ledger.append(
            "gate_evaluated",
            decision.to_payload(),
            run_id=decision.evaluation_id,
            lineage_id=context.challenger.lineage_id,
        )
    return replace(decision, event_index=event.index)


def custom_gates(config: BoucleConfig) -> list[Gate]:
    """The plug-in gates of ``gates.custom``, loaded (PluginError names a broken one)."""
    from boucle.plugins import load_plugin

    return [load_plugin("gate", name) for name in config.gates.custom]


def build_gate_context(
    config: BoucleConfig,
    store: ArtifactStore,
    ledger: Ledger,
    *,
    challenger: str = "challenger",
    against: str = "champion",
    recent: str | os.PathLike[str] | None = None,
) -> GateContext:
    """Resolve and load both versions and the rows they are compared on."""
    from boucle.registry import CHAMPION, resolve_version

    tracking = config.stores.tracking or ""
    notes: list[str] = []
    chal_info = resolve_version(tracking, config.project, challenger)
    champ_info: ModelVersionInfo | None
    try:
        champ_info = resolve_version(tracking, chal_info.model_name, against)
    except TrackingError:
        if against != CHAMPION:
            raise
        champ_info = None
        notes.append("no champion alias yet: nothing to compare with")
    if champ_info is not None and champ_info.version == chal_info.version:
        notes.append(
            f"v{chal_info.version} is also '{against}': a first challenger has no champion to "
            "beat; the other gates apply"
        )
        champ_info = None
    chal = load_candidate(config, store, ledger, chal_info)
    champ = None if champ_info is None else load_candidate(config, store, ledger, champ_info)
    x, y, kind, sensitive = _held_out_rows(config, store, ledger, chal)
    rows = {"held_out": len(x), "recent": 0}
    if recent is not None:
        x_new, y_new = _recent_rows(config, chal, kind, recent)
        import numpy as np
        import pandas as pd

        x = pd.concat([x, x_new[x.columns]], ignore_index=True)
        y = np.concatenate([y, y_new])
        rows["recent"] = len(x_new)
    metric = compared_metric(config, kind)
    return GateContext(
        config=config.gates,
        kind=kind,
        metric=metric,
        challenger=chal,
        champion=champ,
        X=x,
        y=y,
        sensitive=sensitive,
        ledger=ledger,
        rows=rows,
        notes=notes,
    )


def load_candidate(
    config: BoucleConfig, store: ArtifactStore, ledger: Ledger, info: ModelVersionInfo
) -> GateCandidate:
    """Load one registered version from the store of the boucle run that trained it.

    An ordinary version is the train step's pipeline; a fair challenger (tag
    ``boucle.mitigation``) is the ``mitigate`` step's GroupThresholdClassifier, read by the
    digest its run recorded. Either way the registry's ``boucle.model_digest`` must be that
    digest (else :class:`IntegrityError`), and the bytes are hash-verified before loading.
    """
    from boucle.runner.session import run_manifest_path

    run_id = info.boucle_run_id
    manifest = _run_manifest(store, run_id, run_manifest_path) if run_id else {}
    steps = manifest.get("steps", {})
    fair = bool(info.tags.get("boucle.mitigation"))
    needed = ("validate", "split", "train", "mitigate") if fair else ("validate", "split", "train")
    if any(name not in steps for name in needed):
        raise BoucleError(
            f"version {info.version} of '{info.model_name}' was not "
            f"{'registered by the mitigate step of' if fair else 'trained by'} a boucle run "
            f"this project knows (run id tag {run_id!r}).",
            hint="Gate versions registered by `boucle run` in this project.",
        )
    train = steps["train"]["manifest"]
    recorded = steps["mitigate"]["manifest"] if fair else train
    tagged = info.tags.get("boucle.model_digest")
    if fair and not tagged:
        raise IntegrityError(
            f"version {info.version} is a fair challenger (tag boucle.mitigation) but has no "
            "boucle.model_digest tag naming its model; refusing to load it.",
            hint="The registry was altered; run `boucle audit verify` and re-run `boucle run`.",
        )
    if tagged and tagged != recorded.get("model_digest"):
        step = "mitigate" if fair else "train"
        raise IntegrityError(
            f"version {info.version} is tagged with model digest {tagged[:16]}… but its "
            f"run's {step} step stored {str(recorded.get('model_digest'))[:16]}…; refusing to "
            "load it.",
            hint="The registry or the run manifest was altered; run `boucle audit verify`.",
        )
    if fair:
        from boucle.evaluate.fairness_model_io import load_group_threshold_model

        label = f"version {info.version} of '{info.model_name}'"
        digest = str(recorded["model_digest"])
        # get_bytes verifies the digest on read; the loader hashes again and checks the type.
        pipeline = load_group_threshold_model(store.get_bytes(digest), digest, model=label)
    else:
        from boucle.runner.step_inputs import load_model

        pipeline = load_model(_context(config, store, ledger, manifest, run_id), train)
    return GateCandidate(
        model_name=info.model_name,
        version=int(info.version),
        run_id=run_id,
        lineage_id=info.tags.get("boucle.lineage_id") or manifest.get("lineage_id"),
        family=str(train.get("model")),
        pipeline=pipeline,
        classes=train.get("classes"),
        features=list(train.get("features", [])),
        manifest=manifest,
    )


def _run_manifest(store: ArtifactStore, run_id: str, path_of: Any) -> dict[str, Any]:
    from boucle.errors import StoreError

    try:
        manifest: dict[str, Any] = json.loads(store.read_bytes(path_of(run_id)))
    except StoreError:
        return {}
    return manifest


def _context(
    config: BoucleConfig, store: ArtifactStore, ledger: Ledger, manifest: dict[str, Any], run: str
) -> Any:
    """A read-only run context carrying the past run's target settings.

    Only what rebuilding its rows needs (task, target, positive class, sensitive columns) is
    taken from the stored config, over the current one: a past config is not re-validated
    whole, so a section added since does not make old versions unreadable.
    """
    from boucle.runner.context import RunContext

    past = manifest.get("config") or {}
    data = past.get("data") or {}
    keys = ("target", "positive_class", "sensitive")
    if "task" not in past or "target" not in data:
        raise BoucleError(
            f"the manifest of run '{run}' holds no task and target.",
            hint="Gate versions registered by `boucle run` in this project.",
        )
    then = config.model_copy(
        update={
            "task": past["task"],
            "data": config.data.model_copy(update={k: data[k] for k in keys if k in data}),
        }
    )
    return RunContext(config=then, store=store, ledger=ledger, run_id=run)


def _held_out_rows(
    config: BoucleConfig, store: ArtifactStore, ledger: Ledger, chal: GateCandidate
) -> tuple[pd.DataFrame, npt.NDArray[Any], Any, list[str]]:
    from boucle.runner.step_inputs import load_split_frames

    ctx = _context(config, store, ledger, chal.manifest, chal.run_id)
    _, _, x_test, y_test, encoding = load_split_frames(
        ctx, chal.step("validate"), chal.step("split")
    )
    return x_test, y_test, encoding.kind, list(ctx.config.data.sensitive)


def _recent_rows(
    config: BoucleConfig, chal: GateCandidate, kind: Any, path: str | os.PathLike[str]
) -> tuple[pd.DataFrame, npt.NDArray[Any]]:
    """Recent labelled rows: the challenger's features and the target, encoded its way."""
    import numpy as np

    from boucle.data import read_table

    target = chal.manifest["config"]["data"]["target"]
    frame = read_table(str(path), {}, storage_options=config.stores.storage_options)
    missing = [c for c in [*chal.features, target] if c not in frame.columns]
    if missing:
        raise DataError(
            f"recent data '{path}' lacks columns {', '.join(missing[:10])}.",
            hint="Recent labelled rows need the model's features and the target column.",
        )
    frame = frame[frame[target].notna()].reset_index(drop=True)
    if frame.empty:
        raise DataError(f"recent data '{path}' has no labelled row.", hint="Fill the target.")
    if kind == "regression":
        return frame[chal.features], frame[target].to_numpy(dtype=np.float64)
    classes = chal.classes or []
    labels = frame[target].astype(str)
    unknown = sorted(set(labels) - set(classes))
    if unknown:
        raise DataError(
            f"recent data '{path}' has target labels {unknown[:5]} the model does not know "
            f"(classes: {classes}).",
            hint="Use the same target labels as the training data.",
        )
    codes = labels.map({label: i for i, label in enumerate(classes)}).to_numpy(dtype=np.int64)
    return frame[chal.features], codes


def compared_metric(config: BoucleConfig, kind: Any) -> str:
    """The metric the champion comparison uses: ``gates.metric``, else the search metric.

    McNemar always compares accuracy. Raises ConfigError when it does not suit ``kind``.
    """
    from boucle.errors import ConfigError

    gates = config.gates
    if gates.test == "mcnemar":
        if kind == "regression":
            raise ConfigError(
                "gates.test: mcnemar compares classifiers; this model is a regression.",
                hint="Set gates.test: bootstrap.",
            )
        return "accuracy"
    metric = gates.metric or config.metric
    regression_only = metric in ("rmse", "mae", "r2")
    if regression_only != (kind == "regression"):
        raise ConfigError(
            f"gates.metric '{metric}' does not apply to a {kind} model.",
            hint="Pick roc_auc, pr_auc, f1, accuracy or log_loss for classification; rmse, "
            "mae or r2 for regression.",
        )
    return metric
