"""One session behind every entry point: open the stores, run the steps, record the run."""

from __future__ import annotations

import platform
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from boucle._version import __version__
from boucle.errors import StepError
from boucle.hashing import canonical_json, hash_json
from boucle.runner.context import RunContext, new_run_id
from boucle.runner.graph import Step, StepResult, execute_steps
from boucle.runner.hooks import NullHooks, RunHooks

if TYPE_CHECKING:
    from boucle.config import BoucleConfig
    from boucle.ledger import Ledger
    from boucle.store import ArtifactStore

__all__ = ["RunOutcome", "open_ledger", "open_store", "run_manifest_path", "run_steps"]


@dataclass
class RunOutcome:
    """What a finished run produced: ids, step statuses, metrics and the registered version."""

    run_id: str
    lineage_id: str | None
    steps: dict[str, StepResult]
    seconds: float
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def metrics(self) -> dict[str, Any]:
        """Held-out metrics of the evaluate step."""
        evaluate = self.steps.get("evaluate")
        return dict(evaluate.manifest.get("metrics", {})) if evaluate else {}


def open_store(config: BoucleConfig) -> ArtifactStore:
    """The artifact store at ``stores.root``."""
    from boucle.store import ArtifactStore

    return ArtifactStore(config.stores.root, storage_options=config.stores.storage_options)


def open_ledger(config: BoucleConfig) -> Ledger:
    """The audit ledger at ``stores.ledger``."""
    from boucle.ledger import Ledger

    return Ledger(config.stores.ledger or "")


def run_manifest_path(run_id: str) -> str:
    """Where a run's manifest lives inside the artifact store."""
    return f"runs/{run_id}.json"


def run_steps(
    config: BoucleConfig,
    steps: Sequence[Step],
    *,
    hooks: RunHooks | None = None,
    force: frozenset[str] = frozenset(),
    overrides: dict[str, Any] | None = None,
    command: str = "run",
    extra: dict[str, Any] | None = None,
) -> RunOutcome:
    """Run ``steps`` for ``config``: ledger events for the run and each step, a run manifest.

    On failure a ``run_failed`` event and a failed manifest are written and the
    :class:`StepError` propagates; results of the steps that finished stay stored.
    """
    ledger = open_ledger(config)  # first: an unreachable ledger stops us before any write
    try:
        store = open_store(config)
        ctx = RunContext(
            config=config,
            store=store,
            ledger=ledger,
            run_id=new_run_id(),
            hooks=hooks or NullHooks(),
            overrides=dict(overrides or {}),
        )
        config_doc = config.model_dump(mode="json")
        started = time.perf_counter()
        started_at = datetime.now(UTC).isoformat()
        ctx.ledger_event(
            "run_started",
            {
                "command": command,
                "project": config.project,
                "config_hash": hash_json(config_doc),
                "config_path": str(config.path) if config.path else None,
                "boucle": __version__,
                "python": sys.version.split()[0],
                "platform": platform.platform(),
                **(extra or {}),
            },
        )
        base = {
            "run_id": ctx.run_id,
            "command": command,
            "project": config.project,
            "started_at": started_at,
            "config": config_doc,
            **(extra or {}),
        }
        try:
            results = execute_steps(steps, ctx, force=force)
        except StepError as exc:
            seconds = time.perf_counter() - started
            _save_manifest(store, {**base, "status": "failed", "error": str(exc)})
            ctx.ledger_event(
                "run_failed", {"command": command, "step": exc.step, "seconds": round(seconds, 3)}
            )
            raise
        seconds = time.perf_counter() - started
        manifest = {
            **base,
            "status": "finished",
            "finished_at": datetime.now(UTC).isoformat(),
            "seconds": round(seconds, 3),
            "lineage_id": ctx.lineage_id,
            "steps": {
                name: {
                    "status": r.status,
                    "key": r.key,
                    "seconds": round(r.seconds, 3),
                    "manifest": r.manifest,
                }
                for name, r in results.items()
            },
        }
        _save_manifest(store, manifest)
        ctx.ledger_event(
            "run_finished",
            {
                **_summary(manifest),
                "seconds": round(seconds, 3),
                # Binds the stored manifest (every step's output) to the chain: audit bundles
                # and auditors check runs/<run_id>.json against it.
                "manifest_hash": hash_json(manifest),
            },
        )
        return RunOutcome(ctx.run_id, ctx.lineage_id, results, seconds, manifest)
    finally:
        ledger.close()


def _save_manifest(store: ArtifactStore, manifest: dict[str, Any]) -> None:
    store.write_bytes_atomic(run_manifest_path(manifest["run_id"]), canonical_json(manifest))


def _summary(manifest: dict[str, Any]) -> dict[str, Any]:
    """The short form of a run kept in its ``run_finished`` ledger event (for `boucle runs`)."""
    steps = manifest.get("steps", {})
    register = steps.get("register", {}).get("manifest", {})
    train = steps.get("train", {}).get("manifest", {})
    return {
        "command": manifest["command"],
        "project": manifest["project"],
        "model": train.get("model"),
        "metrics": steps.get("evaluate", {}).get("manifest", {}).get("metrics", {}),
        "snapshot_id": steps.get("snapshot", {}).get("manifest", {}).get("snapshot_id"),
        "model_version": register.get("version"),
        "mlflow_run_id": register.get("mlflow_run_id"),
        "steps": {name: step["status"] for name, step in steps.items()},
        **{k: manifest[k] for k in ("reproduces", "identical") if k in manifest},
    }
