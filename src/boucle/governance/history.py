"""The promotion history of a model, read back from the ledger.

Who held an alias, in which order, and why: every ``model_promoted``, ``model_rolled_back``
and ``promotion_refused`` event, plus the ``alias_set`` events of the champion written by
something else than a promotion (the register step makes the first version champion).

:func:`alias_state` replays the alias moves as a stack: a promotion pushes the new holder, a
rollback pops back to the one below. ``boucle rollback`` reads the previous champion from it,
and the champion gate reads when the champion last changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from boucle.config import BoucleConfig
    from boucle.ledger import Ledger, LedgerEvent

__all__ = [
    "HISTORY_KINDS",
    "AliasState",
    "HistoryEntry",
    "alias_state",
    "gate_summary",
    "promotion_history",
    "read_history",
]

CHAMPION = "champion"  # = boucle.registry.CHAMPION, without importing MLflow's bridge
HISTORY_KINDS = ("model_promoted", "model_rolled_back", "promotion_refused")
Action = Literal["promoted", "rolled_back", "refused", "alias_set"]
_ACTIONS: dict[str, Action] = {
    "model_promoted": "promoted",
    "model_rolled_back": "rolled_back",
    "promotion_refused": "refused",
    "alias_set": "alias_set",
}


@dataclass(frozen=True)
class AliasState:
    """The holders of one alias as the ledger recorded them, oldest first."""

    model: str
    alias: str
    holders: tuple[int, ...]
    """The stack: promotions push, rollbacks pop; the last one holds the alias."""
    changed_at: int | None
    """Ledger index of the last event that gave the alias to another version."""

    @property
    def current(self) -> int | None:
        """The version holding the alias according to the ledger."""
        return self.holders[-1] if self.holders else None

    @property
    def previous(self) -> int | None:
        """The version a rollback returns to."""
        return self.holders[-2] if len(self.holders) > 1 else None


@dataclass(frozen=True)
class HistoryEntry:
    """One promotion, rollback, refusal or outside alias move, with its evidence."""

    index: int
    time: str
    action: Action
    model: str
    alias: str
    version: int | None
    previous: int | None
    actor: str
    risk_class: str | None = None
    evidence_hash: str | None = None
    forced: bool = False
    reason: str | None = None
    items: tuple[str, ...] = ()
    """Missing items of a refusal; items a forced promotion skipped."""
    gate: dict[str, Any] | None = None
    run_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON form (``boucle history --json``)."""
        return {
            "index": self.index,
            "time": self.time,
            "action": self.action,
            "model": self.model,
            "alias": self.alias,
            "version": self.version,
            "previous": self.previous,
            "actor": self.actor,
            "risk_class": self.risk_class,
            "evidence_hash": self.evidence_hash,
            "forced": self.forced,
            "reason": self.reason,
            "items": list(self.items),
            "gate": self.gate,
            "run_id": self.run_id,
            **self.extra,
        }


def _version(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


def _moves(ledger: Ledger, model: str, alias: str) -> list[LedgerEvent]:
    events = [*ledger.events(kind="alias_set"), *ledger.events(kind="model_rolled_back")]
    mine = [
        e
        for e in events
        if e.payload.get("model") == model and e.payload.get("alias", CHAMPION) == alias
    ]
    return sorted(mine, key=lambda e: e.index)


def alias_state(ledger: Ledger, model: str, alias: str = CHAMPION) -> AliasState:
    """Replay the ``alias_set`` / ``model_rolled_back`` events of ``model``'s ``alias``."""
    holders: list[int] = []
    changed_at: int | None = None
    for event in _moves(ledger, model, alias):
        version = _version(event.payload.get("version"))
        if version is None:
            continue
        if event.kind == "model_rolled_back":
            if holders and holders[-1] == _version(event.payload.get("from_version")):
                holders.pop()
            changed_at = event.index
        if not holders or holders[-1] != version:
            holders.append(version)
            changed_at = event.index
    return AliasState(model, alias, tuple(holders), changed_at)


def gate_summary(event: LedgerEvent | None) -> dict[str, Any] | None:
    """The numbers of a ``gate_evaluated`` decision, as history and ``model_promoted`` keep them."""
    if event is None:
        return None
    payload = event.payload
    checks = [
        {key: check.get(key) for key in ("name", "status", "passed", "value", "threshold")}
        for check in payload.get("checks") or []
        if isinstance(check, dict)
    ]
    return {
        "event": event.index,
        "passed": payload.get("passed"),
        "champion_version": payload.get("champion_version"),
        "metric": payload.get("metric"),
        "checks": checks,
    }


def promotion_history(ledger: Ledger, model: str, alias: str | None = None) -> list[HistoryEntry]:
    """Every promotion, rollback and refusal of ``model`` (and outside champion moves), in order.

    ``alias`` keeps only the entries of that alias.
    """
    events: list[LedgerEvent] = []
    for kind in (*HISTORY_KINDS, "alias_set"):
        events += [e for e in ledger.events(kind=kind) if e.payload.get("model") == model]
    events.sort(key=lambda e: e.index)
    gates = [e for e in ledger.events(kind="gate_evaluated") if e.payload.get("model") == model]
    promoted_aliases = {CHAMPION} | {
        str(e.payload.get("alias", CHAMPION)) for e in events if e.kind == "model_promoted"
    }
    moved_by_us = {e.run_id for e in events if e.kind != "alias_set" and e.run_id}
    entries = []
    for position, event in enumerate(events):
        if event.kind == "alias_set":
            later = events[position + 1] if position + 1 < len(events) else None
            if (
                event.payload.get("alias") not in promoted_aliases
                or event.run_id in moved_by_us
                or _old_promotion(event, later)
            ):
                continue
        entry = _entry(event, gates)
        if alias is None or entry.alias == alias:
            entries.append(entry)
    return entries


def _old_promotion(alias_set: LedgerEvent, later: LedgerEvent | None) -> bool:
    """An alias_set written by a promotion that predates promotion run ids."""
    return (
        alias_set.run_id is None
        and later is not None
        and later.kind == "model_promoted"
        and _version(later.payload.get("version")) == _version(alias_set.payload.get("version"))
    )


def _entry(event: LedgerEvent, gates: list[LedgerEvent]) -> HistoryEntry:
    payload = event.payload
    version = _version(payload.get("version"))
    alias = str(payload.get("alias", CHAMPION))
    action = _ACTIONS[event.kind]
    if action == "promoted":
        previous = payload.get("previous", payload.get("previous_champion"))
        items = payload.get("overridden") or []
    elif action == "rolled_back":
        previous, items = payload.get("from_version"), []
    else:
        previous, items = None, payload.get("missing") or []
    gate = payload.get("gate") if action == "promoted" and "gate" in payload else None
    if gate is None and action in ("promoted", "refused"):
        gate = gate_summary(_gate_before(gates, event, version))
    extra = {"not_forceable": payload["not_forceable"]} if payload.get("not_forceable") else {}
    return HistoryEntry(
        index=event.index,
        time=event.time,
        action=action,
        model=str(payload.get("model")),
        alias=alias,
        version=version,
        previous=_version(previous) if previous is not None else None,
        actor=str(payload.get("actor") or event.actor),
        risk_class=payload.get("risk_class"),
        evidence_hash=payload.get("evidence_hash"),
        forced=bool(payload.get("forced")),
        reason=payload.get("reason"),
        items=tuple(str(item) for item in items),
        gate=gate,
        run_id=event.run_id,
        extra=extra,
    )


def _gate_before(
    gates: list[LedgerEvent], event: LedgerEvent, version: int | None
) -> LedgerEvent | None:
    """The latest gate decision on ``version`` as challenger recorded before ``event``."""
    found = None
    for gate in gates:
        if gate.index > event.index:
            break
        if _version(gate.payload.get("challenger_version")) == version:
            found = gate
    return found


def read_history(config: BoucleConfig, alias: str | None = None) -> list[HistoryEntry]:
    """The promotion history of the project's model (``project:``) from its ledger."""
    from boucle.ledger import Ledger

    with Ledger(config.stores.ledger or "") as ledger:
        return promotion_history(ledger, config.project, alias)
