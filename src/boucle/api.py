"""The Python API: every CLI command is one of these functions.

>>> import boucle
>>> outcome = boucle.run("boucle.yaml")          # doctest: +SKIP
>>> outcome.metrics["roc_auc"]                   # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from boucle.config import BoucleConfig, load_config
from boucle.errors import BoucleError, ConfigError
from boucle.runner.session import (
    RunOutcome,
    open_ledger,
    open_store,
    run_manifest_path,
    run_steps,
)

if TYPE_CHECKING:
    from boucle.ledger import LedgerEvent, VerifyResult
    from boucle.runner.hooks import RunHooks

__all__ = [
    "ReproduceOutcome",
    "audit_log",
    "audit_verify",
    "reproduce",
    "run",
    "runs",
    "show",
]

ConfigLike = BoucleConfig | str | os.PathLike[str]


def _config(config: ConfigLike) -> BoucleConfig:
    return config if isinstance(config, BoucleConfig) else load_config(config)


def run(config: ConfigLike = "boucle.yaml", *, hooks: RunHooks | None = None) -> RunOutcome:
    """Run the loop (snapshot → split → train → evaluate → register), reusing cached steps."""
    from boucle.registry.mlflow_bridge import probe_tracking
    from boucle.runner.steps import FOUNDATION_STEPS

    cfg = _config(config)
    probe_tracking(cfg.stores.tracking or "")
    return run_steps(cfg, FOUNDATION_STEPS, hooks=hooks)


def runs(config: ConfigLike = "boucle.yaml") -> list[dict[str, Any]]:
    """Every finished or failed run of the project, oldest first, from the audit ledger."""
    cfg = _config(config)
    with open_ledger(cfg) as ledger:
        events = ledger.events()
    started = {e.run_id: e for e in events if e.kind == "run_started"}
    rows = []
    for event in events:
        if event.kind not in ("run_finished", "run_failed") or event.run_id is None:
            continue
        begin = started.get(event.run_id)
        rows.append(
            {
                "run_id": event.run_id,
                "time": begin.time if begin else event.time,
                "status": "finished" if event.kind == "run_finished" else "failed",
                "lineage_id": event.lineage_id,
                **event.payload,
            }
        )
    return rows


def show(run_id: str, config: ConfigLike = "boucle.yaml") -> dict[str, Any]:
    """The manifest of one run (a unique prefix of the id is enough)."""
    cfg = _config(config)
    full_id = _resolve_run_id(cfg, run_id)
    data = open_store(cfg).read_bytes(run_manifest_path(full_id))
    manifest: dict[str, Any] = json.loads(data)
    return manifest


@dataclass(frozen=True)
class ReproduceOutcome:
    """Result of re-running a past run from its own snapshot and configuration."""

    original_run_id: str
    run: RunOutcome
    identical: bool
    differences: dict[str, tuple[Any, Any]]


def reproduce(
    run_id: str, config: ConfigLike = "boucle.yaml", *, hooks: RunHooks | None = None
) -> ReproduceOutcome:
    """Re-run ``run_id`` from its stored snapshot and config; check the metrics are identical.

    The live data file is not read: the snapshot comes from the store (hash verified). The
    search runs exactly as many trials as the original completed, without a time limit.
    """
    from boucle.runner.graph import Step
    from boucle.runner.steps import FOUNDATION_STEPS

    cfg = _config(config)
    original = show(run_id, cfg)
    if original.get("status") != "finished":
        raise BoucleError(
            f"run '{original['run_id']}' did not finish (status {original.get('status')!r}); "
            "there is nothing to reproduce.",
            hint="Pick a finished run from `boucle runs`.",
        )
    past = BoucleConfig.model_validate(original["config"])
    past._path = cfg.path
    steps = original["steps"]
    snapshot_manifest = steps["snapshot"]["manifest"]

    def snapshot(ctx: Any) -> dict[str, Any]:
        if not all(ctx.store.exists(d) for d in snapshot_manifest.get("artifacts", [])):
            raise BoucleError(
                f"snapshot {snapshot_manifest['snapshot_id']} of run {original['run_id']} is "
                "no longer in the artifact store.",
                hint="Restore stores.root from a backup; a run can only be reproduced from "
                "its own snapshot.",
            )
        return dict(snapshot_manifest)

    chain = [Step("snapshot", snapshot, config=lambda c: {}, code=("runner/steps",))]
    chain += [s for s in FOUNDATION_STEPS if s.name in ("split", "train", "evaluate")]
    trials = steps["train"]["manifest"]["trials_completed"]
    outcome = run_steps(
        past,
        chain,
        hooks=hooks,
        force=frozenset({"snapshot", "split", "train", "evaluate"}),
        overrides={"trials": trials, "timeout_s": None},
        command="reproduce",
        extra={"reproduces": original["run_id"]},
    )
    before = steps["evaluate"]["manifest"]["metrics"]
    after = outcome.metrics
    differences = {
        name: (before.get(name), after.get(name))
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    }
    with open_ledger(past) as ledger:
        ledger.append(
            "run_reproduced",
            {
                "of": original["run_id"],
                "identical": not differences,
                "differences": {k: list(v) for k, v in differences.items()},
            },
            run_id=outcome.run_id,
            lineage_id=outcome.lineage_id,
        )
    return ReproduceOutcome(original["run_id"], outcome, not differences, differences)


def audit_verify(config: ConfigLike = "boucle.yaml") -> VerifyResult:
    """Recompute the audit ledger's hash chain; the result names the first bad index."""
    with open_ledger(_config(config)) as ledger:
        return ledger.verify()


def audit_log(
    config: ConfigLike = "boucle.yaml", *, run_id: str | None = None
) -> list[LedgerEvent]:
    """Ledger events, oldest first; only those of ``run_id`` when given (prefix allowed)."""
    cfg = _config(config)
    full_id = _resolve_run_id(cfg, run_id) if run_id else None
    with open_ledger(cfg) as ledger:
        return ledger.events(run_id=full_id)


def _resolve_run_id(cfg: BoucleConfig, run_id: str) -> str:
    known = [str(row["run_id"]) for row in runs(cfg)]
    matches = sorted({r for r in known if r.startswith(run_id)})
    if len(matches) == 1:
        return matches[0]
    if not matches:
        shown = ", ".join(known[-5:]) or "none yet"
        raise ConfigError(
            f"no run '{run_id}' in {cfg.stores.ledger}. Latest runs: {shown}.",
            hint="List the runs with `boucle runs`.",
        )
    raise ConfigError(
        f"run id prefix '{run_id}' matches {len(matches)} runs: {', '.join(matches[:5])}.",
        hint="Give more characters of the id.",
    )
