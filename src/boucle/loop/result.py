"""What one loop iteration saw and decided: :class:`LoopIteration` and its ledger payload."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from boucle.loop.rules import RuleOutcome

if TYPE_CHECKING:
    from boucle.loop.window import TrainingData

__all__ = ["RETRAINED", "Decision", "LoopIteration", "Progress"]

Decision = Literal[
    "no_traffic",
    "no_retrain",
    "waiting_for_labels",
    "would_retrain",
    "retrain_failed",
    "no_change",
    "kept_champion",
    "awaiting_promotion",
    "promoted",
]
#: Decisions taken after a retrain that produced a challenger: they reset ``labels.new``.
#: A failed retrain does not, so the next iteration tries again with the same labels.
RETRAINED: frozenset[str] = frozenset(
    {"no_change", "kept_champion", "awaiting_promotion", "promoted"}
)
Progress = Callable[[str], None]


@dataclass(frozen=True)
class LoopIteration:
    """What one iteration saw and decided, with the ids to follow it in the stores."""

    iteration_id: str
    started_at: str
    """UTC ISO time the iteration began (and read the serving log)."""
    model: str
    champion_version: int
    champion_lineage: str | None
    decision: Decision
    rules: tuple[RuleOutcome, ...]
    values: dict[str, Any]
    reasons: tuple[str, ...] = ()
    dry_run: bool = False
    challenger_version: int | None = None
    challenger_lineage: str | None = None
    gate_passed: bool | None = None
    promoted: bool = False
    monitoring_run_id: str | None = None
    retrain_run_id: str | None = None
    gate_event_index: int | None = None
    training_data: TrainingData | None = None
    alerts: tuple[dict[str, Any], ...] = ()
    notified: dict[str, str] = field(default_factory=dict)
    event_index: int | None = None

    @property
    def fired_rules(self) -> list[str]:
        """Names of the retrain rules that fired."""
        return [rule.name for rule in self.rules if rule.fired]

    @property
    def retrained(self) -> bool:
        """True when this iteration trained a challenger (whatever came of it)."""
        return self.decision in RETRAINED

    def payload(self) -> dict[str, Any]:
        """The ``loop_iteration`` ledger payload (contract keys first, then context)."""
        document = {
            "model": self.model,
            "fired_rules": self.fired_rules,
            "decision": self.decision,
            "challenger_version": self.challenger_version,
            "gate_passed": self.gate_passed,
            "promoted": self.promoted,
            "reasons": list(self.reasons),
            "retrained": self.retrained,
            "champion_version": self.champion_version,
            "started_at": self.started_at,
            "challenger_lineage": self.challenger_lineage,
            "rules": [rule.to_dict() for rule in self.rules],
            "values": self.values,
            "monitoring_run_id": self.monitoring_run_id,
            "retrain_run_id": self.retrain_run_id,
            "gate_event_index": self.gate_event_index,
            "training_data": None if self.training_data is None else self.training_data.to_dict(),
            "notified": dict(self.notified),
        }
        result: dict[str, Any] = _finite(document)
        return result

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (``boucle loop --json``): the payload plus ids and alerts."""
        return {
            "iteration_id": self.iteration_id,
            "dry_run": self.dry_run,
            "champion_lineage": self.champion_lineage,
            **self.payload(),
            "alerts": list(self.alerts),
            "event_index": self.event_index,
        }


def _finite(value: Any) -> Any:
    """Strict JSON for the ledger: NaN and infinities become None, recursively."""
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    if isinstance(value, dict):
        return {str(key): _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value
