"""The run context handed to every step: config, stores, ledger, ids and hooks."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from boucle.hashing import hash_json
from boucle.runner.hooks import NullHooks, RunHooks

if TYPE_CHECKING:
    from boucle.config import BoucleConfig
    from boucle.ledger import Ledger
    from boucle.runner.graph import StepResult
    from boucle.store import ArtifactStore

__all__ = ["RunContext", "new_run_id"]


def new_run_id() -> str:
    """A sortable, unique run id: UTC time plus random suffix (``20261125T180301-1a2b3c``)."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]


@dataclass
class RunContext:
    """Everything a step may use. Steps read ``config`` and write through ``store``."""

    config: BoucleConfig
    store: ArtifactStore
    ledger: Ledger
    run_id: str = field(default_factory=new_run_id)
    hooks: RunHooks = field(default_factory=NullHooks)
    lineage_id: str | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    memo: dict[str, Any] = field(default_factory=dict)
    """Values computed once per run and shared by steps (e.g. the source file's hash)."""

    def ledger_event(self, kind: str, payload: dict[str, Any]) -> None:
        """Append one event for this run to the audit ledger."""
        self.ledger.append(kind, payload, run_id=self.run_id, lineage_id=self.lineage_id)

    def progress(self, step: str, completed: int, total: int | None, note: str = "") -> None:
        """Report progress of a long step to the hooks (progress bars)."""
        self.hooks.on_progress(step=step, completed=completed, total=total, note=note)

    def on_step_result(self, result: StepResult, inputs: dict[str, dict[str, Any]]) -> None:
        """Write the step's ledger event; the train step's key becomes the lineage id."""
        if result.step == "train":
            # One lineage id from raw data to the served prediction: the train key covers
            # the snapshot, the split, the configuration and the code that made the model.
            self.lineage_id = "lin-" + result.key[:20]
        self.ledger_event(
            "step_cached" if result.status == "cached" else "step_finished",
            {
                "step": result.step,
                "status": result.status,
                "cache_key": result.key,
                "inputs": {name: hash_json(m) for name, m in sorted(inputs.items())},
                "output": hash_json(result.manifest),
                "seconds": round(result.seconds, 6),
            },
        )
