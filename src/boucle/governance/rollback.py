"""Rollback: give an alias back to the version that held it before the last promotion.

The previous holder comes from the ledger (:func:`~boucle.governance.history.alias_state`):
promotions push, rollbacks pop, so repeated rollbacks walk back through the champions in the
order they served. A rollback restores a version that already passed its policy when it was
promoted, so no checklist is re-run, with one exception: a use case now classified as
prohibited cannot be put back into service either. It runs under the same promotion lock as
``boucle promote`` and records ``model_rolled_back`` then ``alias_set``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from boucle.governance.errors import GovernanceError
from boucle.governance.history import CHAMPION, alias_state
from boucle.governance.promote import check_alias_name
from boucle.governance.promotion_lock import DEFAULT_LOCK_TIMEOUT, promotion_lock

if TYPE_CHECKING:
    from boucle.config import BoucleConfig
    from boucle.config.governance import RiskClass

__all__ = ["RollbackResult", "rollback_alias"]


@dataclass(frozen=True)
class RollbackResult:
    """One rollback: ``alias`` of ``model`` moved from ``from_version`` back to ``version``."""

    model: str
    alias: str
    version: int
    from_version: int
    risk_class: RiskClass
    evidence_hash: str
    reason: str | None
    actor: str
    event_index: int | None = None
    """Ledger index of ``model_rolled_back`` (None for a dry run)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON form (``boucle rollback --json``)."""
        return dict(self.__dict__)


def rollback_alias(
    config: BoucleConfig,
    *,
    alias: str = CHAMPION,
    reason: str | None = None,
    actor: str | None = None,
    dry_run: bool = False,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> RollbackResult:
    """Move ``alias`` of the project's model back to its previous holder.

    Raises :class:`GovernanceError` when the alias has no previous holder in the ledger, when
    the registry and the ledger disagree on the current holder (the alias was moved outside
    boucle), or when the use case is now prohibited. With ``dry_run`` nothing is written.
    """
    from boucle.governance.classify import classify_use_case
    from boucle.governance.evidence import collect_evidence, resolve_version_ref
    from boucle.governance.policies import effective_policy, load_policies
    from boucle.ledger import Ledger
    from boucle.ledger.ledger import default_actor
    from boucle.registry import get_aliases, set_alias
    from boucle.runner.context import new_run_id

    alias = check_alias_name(alias)
    reason = (reason or "").strip() or None
    who = actor or default_actor()
    model, tracking, url = config.project, config.stores.tracking or "", config.stores.ledger or ""
    classification = classify_use_case(config.use_case) if config.use_case else None
    risk_class: RiskClass = classification.risk_class if classification else "high"
    if not effective_policy(config, load_policies(config), risk_class).promotion_allowed:
        refs = ", ".join(classification.refs) if classification else "Art. 5"
        raise GovernanceError(
            f"rollback of {model} refused: the use case is a prohibited practice ({refs}).",
            hint="No version may be put into service for it; change the use case.",
        )
    with Ledger(url) as ledger, promotion_lock(url, model, timeout=lock_timeout):
        state = alias_state(ledger, model, alias)
        current = get_aliases(tracking, model).get(alias)
        from_version, version = _check_rollback(
            model, alias, state.current, state.previous, current
        )
        ref = resolve_version_ref(config, str(version))  # still registered?
        evidence = collect_evidence(ledger, ref)
        result = RollbackResult(
            model=model,
            alias=alias,
            version=version,
            from_version=from_version,
            risk_class=risk_class,
            evidence_hash=evidence.hash,
            reason=reason,
            actor=who,
        )
        if dry_run:
            return result
        set_alias(tracking, model, alias, str(version))
        rollback = new_run_id()
        payload = {k: v for k, v in result.to_dict().items() if k != "event_index"}
        event = ledger.append(
            "model_rolled_back", payload, run_id=rollback, lineage_id=ref.lineage_id, actor=actor
        )
        moved = {"model": model, "alias": alias, "version": str(version)}
        ledger.append("alias_set", moved, run_id=rollback, lineage_id=ref.lineage_id, actor=actor)
    return RollbackResult(**{**result.to_dict(), "event_index": event.index})


def _check_rollback(
    model: str, alias: str, recorded: int | None, previous: int | None, current: str | None
) -> tuple[int, int]:
    """(current holder, previous holder), or the reason a rollback cannot happen."""
    if current is None:
        raise GovernanceError(
            f"model '{model}' has no '{alias}' alias to roll back.",
            hint="`boucle history` lists its promotions; `boucle promote VERSION` sets one.",
        )
    if recorded is None or str(recorded) != current:
        shown = f"v{recorded}" if recorded is not None else "no holder"
        raise GovernanceError(
            f"the registry has {model}@{alias} = v{current} but the ledger's last move of the "
            f"alias records {shown}: it was moved outside boucle.",
            hint=f"Record the intended holder with `boucle promote VERSION --to {alias}` (it "
            "checks the policy), then roll back from there.",
        )
    if previous is None:
        raise GovernanceError(
            f"{model}@{alias} = v{current} has no previous holder in the ledger: nothing to "
            "roll back to.",
            hint="`boucle history` lists the promotions; promote another version explicitly.",
        )
    return recorded, previous
