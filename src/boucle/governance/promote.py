"""Promotion to champion: check the risk class's policy, then move the alias or refuse.

``evaluate_promotion`` is pure reading (ledger + config); ``promote_version`` resolves the
version in the registry, evaluates, and either sets the ``champion`` alias (ledger events
``alias_set`` and ``model_promoted``) or writes ``promotion_refused`` and raises
:class:`PromotionRefusedError` listing what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from boucle.governance.approvals import approvals_of, assess_approvals
from boucle.governance.checklist import ChecklistItem, build_checklist
from boucle.governance.classify import Classification, classify_use_case, risk_label
from boucle.governance.errors import PromotionRefusedError
from boucle.governance.evidence import Evidence, VersionRef, collect_evidence
from boucle.governance.policies import PolicySet, effective_policy, load_policies

if TYPE_CHECKING:
    from boucle.config import BoucleConfig
    from boucle.config.governance import RiskClass
    from boucle.ledger import Ledger

__all__ = ["PromotionCheck", "check_promotion", "evaluate_promotion", "promote_version"]


@dataclass(frozen=True)
class PromotionCheck:
    """The checklist of one version against its risk class's policy."""

    ref: VersionRef
    risk_class: RiskClass
    classification: Classification | None
    policy_source: str
    evidence: Evidence
    items: tuple[ChecklistItem, ...]
    promoted: bool = False
    previous_champion: int | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

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
            "missing": self.missing,
            "items": [item.to_dict() for item in self.items],
            "notes": list(self.notes),
        }


def evaluate_promotion(
    config: BoucleConfig, ledger: Ledger, ref: VersionRef, policies: PolicySet | None = None
) -> PromotionCheck:
    """Evaluate the checklist of ``ref`` (nothing is written).

    The risk class is that of the current ``use_case:``; without one the high-risk policy
    applies (and the ``classified`` item says why).
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
        config=config, policy=policy, classification=classification, evidence=evidence, roles=roles
    )
    notes = () if classification else ("no use_case: the high-risk policy applies",)
    return PromotionCheck(
        ref=ref,
        risk_class=risk_class,
        classification=classification,
        policy_source=policies.source,
        evidence=evidence,
        items=tuple(items),
        notes=notes,
    )


def check_promotion(config: BoucleConfig, version: str) -> PromotionCheck:
    """The checklist of a version (number or alias) of the project's model; nothing is written."""
    from boucle.governance.evidence import resolve_version_ref
    from boucle.ledger import Ledger

    policies = load_policies(config)  # a bad policies.yaml fails before MLflow is touched
    ref = resolve_version_ref(config, version)
    with Ledger(config.stores.ledger or "") as ledger:
        return evaluate_promotion(config, ledger, ref, policies)


def promote_version(config: BoucleConfig, version: str, *, dry_run: bool = False) -> PromotionCheck:
    """Promote a version to champion if its policy is met; otherwise refuse.

    A refusal appends ``promotion_refused`` (unless ``dry_run``) and raises
    :class:`PromotionRefusedError` carrying the checklist. A promotion points the
    ``champion`` alias at the version and appends ``alias_set`` and ``model_promoted``.
    With ``dry_run`` nothing is written and a passing check is returned unpromoted.
    """
    from boucle.governance.evidence import resolve_version_ref
    from boucle.ledger import Ledger
    from boucle.registry import CHAMPION, get_aliases, set_alias

    policies = load_policies(config)
    ref = resolve_version_ref(config, version)
    tracking = config.stores.tracking or ""
    with Ledger(config.stores.ledger or "") as ledger:
        check = evaluate_promotion(config, ledger, ref, policies)
        if not check.ok:
            if not dry_run:
                details = {item.name: item.detail for item in check.items if not item.passed}
                ledger.append(
                    "promotion_refused",
                    {
                        "model": ref.model,
                        "version": ref.version,
                        "missing": check.missing,
                        "details": details,
                        "risk_class": check.risk_class,
                        "evidence_hash": check.evidence.hash,
                    },
                    lineage_id=ref.lineage_id,
                )
            raise PromotionRefusedError(check, dry_run=dry_run, hint=_refusal_hint(check, dry_run))
        current = get_aliases(tracking, ref.model).get(CHAMPION)
        previous = int(current) if current is not None else None
        if dry_run:
            return _with(check, previous_champion=previous)
        set_alias(tracking, ref.model, CHAMPION, str(ref.version))
        alias = {"model": ref.model, "alias": CHAMPION, "version": str(ref.version)}
        ledger.append("alias_set", alias, lineage_id=ref.lineage_id)
        ledger.append(
            "model_promoted",
            {
                "model": ref.model,
                "version": ref.version,
                "previous_champion": previous,
                "risk_class": check.risk_class,
                "evidence_hash": check.evidence.hash,
            },
            lineage_id=ref.lineage_id,
        )
    return _with(check, promoted=True, previous_champion=previous)


def _with(check: PromotionCheck, **changes: Any) -> PromotionCheck:
    from dataclasses import replace

    return replace(check, **changes)


def _refusal_hint(check: PromotionCheck, dry_run: bool) -> str:
    fixes = [f"\n  - {item.name}: {item.fix}" for item in check.items if not item.passed]
    done = "" if dry_run else " (recorded as promotion_refused in the ledger)"
    return f"Get the missing items{done}:" + "".join(fixes)
