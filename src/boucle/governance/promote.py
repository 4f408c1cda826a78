"""Promotion: check the risk class's policy against the current champion, then move the alias.

``evaluate_promotion`` is pure reading (ledger + config); ``promote_version`` resolves the
version in the registry and, under the model's promotion lock
(:mod:`boucle.governance.promotion_lock`), reads the current champion, evaluates the
checklist and either moves the alias (ledger events ``alias_set`` and ``model_promoted``) or
writes ``promotion_refused`` and raises :class:`PromotionRefusedError` listing what is missing.

``force=True`` with a ``reason`` promotes despite missing items, except two that nothing
lifts (:func:`unforceable`): ``prohibited`` (Art. 5) and the approvals a high-risk policy
requires. The skipped items, the reason and the actor are recorded in ``model_promoted``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from boucle.errors import ConfigError
from boucle.governance.approvals import approvals_of, assess_approvals
from boucle.governance.checklist import (
    ChampionView,
    ChecklistItem,
    build_checklist,
    champion_gate_event,
)
from boucle.governance.classify import Classification, classify_use_case, risk_label
from boucle.governance.errors import GovernanceError, PromotionRefusedError
from boucle.governance.evidence import Evidence, VersionRef, collect_evidence
from boucle.governance.history import CHAMPION, alias_state, gate_summary
from boucle.governance.policies import PolicySet, effective_policy, load_policies
from boucle.governance.promotion_lock import DEFAULT_LOCK_TIMEOUT, promotion_lock

if TYPE_CHECKING:
    from boucle.config import BoucleConfig
    from boucle.config.governance import RiskClass
    from boucle.ledger import Ledger

__all__ = [
    "PromotionCheck",
    "check_alias_name",
    "check_promotion",
    "evaluate_promotion",
    "promote_version",
    "unforceable",
]

_ALIAS = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,254}$")


@dataclass(frozen=True)
class PromotionCheck:
    """The checklist of one version against its risk class's policy, and what was done."""

    ref: VersionRef
    risk_class: RiskClass
    classification: Classification | None
    policy_source: str
    evidence: Evidence
    items: tuple[ChecklistItem, ...]
    promoted: bool = False
    previous_champion: int | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    alias: str = CHAMPION
    """The alias moved (``--to``)."""
    previous: int | None = None
    """The version that held ``alias`` before (equals ``previous_champion`` for champion)."""
    forced: bool = False
    reason: str | None = None
    overridden: tuple[str, ...] = ()
    """Missing items a forced promotion skipped."""
    gate: dict[str, Any] | None = None
    """The gate decision the champion gate rests on (numbers), if any."""
    event_index: int | None = None
    """Ledger index of ``model_promoted`` (or ``promotion_refused``)."""

    @property
    def ok(self) -> bool:
        """True when every mandatory item is present."""
        return all(item.passed for item in self.items)

    @property
    def missing(self) -> list[str]:
        """Names of the missing items (``fairness_gate``, ``approval:risk-officer`` …)."""
        return [item.name for item in self.items if not item.passed]

    @property
    def risk_label(self) -> str:
        """``high-risk``, ``minimal risk`` …"""
        return risk_label(self.risk_class)

    def to_dict(self) -> dict[str, Any]:
        """JSON form (``boucle promote --json``)."""
        return {
            "model": self.ref.model,
            "version": self.ref.version,
            "alias": self.alias,
            "lineage_id": self.ref.lineage_id,
            "risk_class": self.risk_class,
            "triggers": [t.to_dict() for t in self.classification.triggers]
            if self.classification
            else [],
            "policy_source": self.policy_source,
            "evidence_hash": self.evidence.hash,
            "evidence": self.evidence.counts(),
            "ok": self.ok,
            "promoted": self.promoted,
            "previous_champion": self.previous_champion,
            "previous": self.previous,
            "forced": self.forced,
            "reason": self.reason,
            "overridden": list(self.overridden),
            "not_forceable": unforceable(self),
            "missing": self.missing,
            "items": [item.to_dict() for item in self.items],
            "gate": self.gate,
            "event_index": self.event_index,
            "notes": list(self.notes),
        }


def unforceable(check: PromotionCheck) -> list[str]:
    """Missing items ``--force`` cannot skip: ``prohibited``; approvals under high-risk policy."""
    high = check.risk_class in ("high", "prohibited")
    return [
        name
        for name in check.missing
        if name == "prohibited" or (high and name.startswith("approval:"))
    ]


def check_alias_name(alias: str) -> str:
    """Return ``alias`` if MLflow accepts it as an alias name; ConfigError otherwise."""
    if not _ALIAS.match(alias) or alias.lower() == "latest" or re.match(r"^v\d+$", alias):
        raise ConfigError(
            f"--to '{alias}' is not an alias name.",
            hint="Use letters, digits, '_' and '-', starting with a letter (e.g. champion, "
            "staging); 'latest' and v<number> are reserved by the registry.",
        )
    return alias


def evaluate_promotion(
    config: BoucleConfig,
    ledger: Ledger,
    ref: VersionRef,
    policies: PolicySet | None = None,
    *,
    champion: ChampionView | None = None,
) -> PromotionCheck:
    """Evaluate the checklist of ``ref`` (nothing is written).

    The risk class is that of the current ``use_case:``; without one the high-risk policy
    applies (and the ``classified`` item says why). ``champion`` (the champion now, from the
    registry) makes the champion gate judge the gate decision against it.
    """
    policies = policies or load_policies(config)
    classification = classify_use_case(config.use_case) if config.use_case else None
    risk_class: RiskClass = classification.risk_class if classification else "high"
    policy = effective_policy(config, policies, risk_class)
    evidence = collect_evidence(ledger, ref)
    roles = assess_approvals(
        approvals_of(ledger, ref.model, ref.version), policy.approvals, config.governance, evidence
    )
    items = build_checklist(
        config=config,
        policy=policy,
        classification=classification,
        evidence=evidence,
        roles=roles,
        champion=champion,
    )
    notes = () if classification else ("no use_case: the high-risk policy applies",)
    if champion is not None and champion.version not in (None, ref.version):
        gate = champion_gate_event(evidence, champion.version)
    else:
        gate = evidence.latest("gate_evaluated")
    return PromotionCheck(
        ref=ref,
        risk_class=risk_class,
        classification=classification,
        policy_source=policies.source,
        evidence=evidence,
        items=tuple(items),
        notes=notes,
        alias=champion.target_alias if champion else CHAMPION,
        gate=gate_summary(gate),
    )


def _champion_view(ledger: Ledger, aliases: dict[str, str], model: str, alias: str) -> ChampionView:
    current = aliases.get(CHAMPION)
    return ChampionView(
        version=int(current) if current is not None else None,
        changed_at=alias_state(ledger, model, CHAMPION).changed_at,
        target_alias=alias,
    )


def check_promotion(config: BoucleConfig, version: str, *, to: str = CHAMPION) -> PromotionCheck:
    """The checklist of a version (number or alias) against the current champion; read-only."""
    from boucle.governance.evidence import resolve_version_ref
    from boucle.ledger import Ledger
    from boucle.registry import get_aliases

    alias = check_alias_name(to)
    policies = load_policies(config)  # a bad policies.yaml fails before MLflow is touched
    ref = resolve_version_ref(config, version)
    aliases = get_aliases(config.stores.tracking or "", ref.model)
    with Ledger(config.stores.ledger or "") as ledger:
        champion = _champion_view(ledger, aliases, ref.model, alias)
        return _with_holders(
            evaluate_promotion(config, ledger, ref, policies, champion=champion), aliases
        )


def _with_holders(check: PromotionCheck, aliases: dict[str, str]) -> PromotionCheck:
    def number(alias: str) -> int | None:
        value = aliases.get(alias)
        return int(value) if value is not None else None

    return replace(check, previous_champion=number(CHAMPION), previous=number(check.alias))


def promote_version(
    config: BoucleConfig,
    version: str = "challenger",
    *,
    dry_run: bool = False,
    to: str = CHAMPION,
    force: bool = False,
    reason: str | None = None,
    actor: str | None = None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> PromotionCheck:
    """Point alias ``to`` (default ``champion``) at a version if its policy is met.

    A refusal appends ``promotion_refused`` (unless ``dry_run``) and raises
    :class:`PromotionRefusedError` carrying the checklist. A promotion moves the alias and
    appends ``alias_set`` and ``model_promoted`` (``actor`` defaults to ``user@host``).
    ``force`` (needs ``reason``) skips missing items except :func:`unforceable` ones. With
    ``dry_run`` nothing is written and a passing check is returned unpromoted. The
    check-and-move runs under the model's promotion lock, waiting at most ``lock_timeout``.
    """
    from boucle.governance.evidence import resolve_version_ref
    from boucle.ledger import Ledger
    from boucle.ledger.ledger import default_actor
    from boucle.registry import get_aliases, set_alias
    from boucle.runner.context import new_run_id

    reason = (reason or "").strip() or None
    if force and reason is None:
        raise GovernanceError(
            "--force needs a reason: it is recorded in the ledger with the items it skips.",
            hint="Add --reason 'why this version must go out without them'.",
        )
    alias = check_alias_name(to)
    who = actor or default_actor()
    policies = load_policies(config)
    ref = resolve_version_ref(config, version)
    tracking = config.stores.tracking or ""
    url = config.stores.ledger or ""
    with Ledger(url) as ledger, promotion_lock(url, ref.model, timeout=lock_timeout):
        aliases = get_aliases(tracking, ref.model)
        champion = _champion_view(ledger, aliases, ref.model, alias)
        check = evaluate_promotion(config, ledger, ref, policies, champion=champion)
        check = _with_holders(replace(check, reason=reason), aliases)
        blocked = unforceable(check)
        if not check.ok and (not force or blocked):
            if not dry_run:
                event = ledger.append(
                    "promotion_refused",
                    _refusal(check, force, blocked, who),
                    run_id=new_run_id(),
                    lineage_id=ref.lineage_id,
                    actor=actor,
                )
                check = replace(check, event_index=event.index)
            raise PromotionRefusedError(
                check, dry_run=dry_run, hint=_refusal_hint(check, dry_run, force, blocked)
            )
        if force and not check.ok:
            check = replace(check, forced=True, overridden=tuple(check.missing))
        if dry_run:
            return check
        set_alias(tracking, ref.model, alias, str(ref.version))
        promotion = new_run_id()  # links alias_set to its model_promoted in the history
        moved = {"model": ref.model, "alias": alias, "version": str(ref.version)}
        ledger.append("alias_set", moved, run_id=promotion, lineage_id=ref.lineage_id, actor=actor)
        event = ledger.append(
            "model_promoted",
            _promoted(check, who),
            run_id=promotion,
            lineage_id=ref.lineage_id,
            actor=actor,
        )
    return replace(check, promoted=True, event_index=event.index)


def _promoted(check: PromotionCheck, who: str) -> dict[str, Any]:
    previous_champion = check.previous if check.alias == CHAMPION else check.previous_champion
    return {
        "model": check.ref.model,
        "version": check.ref.version,
        "previous_champion": previous_champion,
        "alias": check.alias,
        "previous": check.previous,
        "risk_class": check.risk_class,
        "evidence_hash": check.evidence.hash,
        "forced": check.forced,
        "reason": check.reason,
        "overridden": list(check.overridden),
        "actor": who,
        "gate": check.gate,
    }


def _refusal(check: PromotionCheck, force: bool, blocked: list[str], who: str) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "model": check.ref.model,
        "version": check.ref.version,
        "missing": check.missing,
        "details": {item.name: item.detail for item in check.items if not item.passed},
        "risk_class": check.risk_class,
        "evidence_hash": check.evidence.hash,
        "alias": check.alias,
        "actor": who,
        "forced": force,
        "reason": check.reason,
    }
    if force:
        payload["not_forceable"] = blocked
    return payload


def _refusal_hint(check: PromotionCheck, dry_run: bool, force: bool, blocked: list[str]) -> str:
    done = "" if dry_run else " (recorded as promotion_refused in the ledger)"
    if force:
        wanted = [item for item in check.items if item.name in blocked]
        head = (
            f"--force cannot skip {', '.join(blocked)}: no override lifts an Art. 5 "
            f"prohibition, and a high-risk version needs its approvals{done}. Get them:"
        )
    else:
        wanted = [item for item in check.items if not item.passed]
        head = f"Get the missing items{done}:"
    return head + "".join(f"\n  - {item.name}: {item.fix}" for item in wanted)
