"""The promotion checklist: each mandatory item of a policy, found or missing, and how to get it.

The champion gate is the one item that depends on the registry: a version replacing an
existing champion must pass a ``gate_evaluated`` decision *against that champion*, recorded
after the champion last changed (:class:`ChampionView`). It is added automatically when the
policy's ``gate_against_champion`` is on (the default) and the target alias is ``champion``.
How each other item is judged is in :mod:`boucle.governance.checklist_items`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from boucle.governance.checklist_items import CHECKS, Found, event_at, fix_of
from boucle.governance.policies import retention_setting

if TYPE_CHECKING:
    from boucle.config import BoucleConfig
    from boucle.governance.approvals import RoleStatus
    from boucle.governance.classify import Classification
    from boucle.governance.evidence import Evidence
    from boucle.governance.policies import Policy
    from boucle.ledger import LedgerEvent

__all__ = ["ChampionView", "ChecklistItem", "build_checklist", "champion_gate_event"]

CHAMPION = "champion"  # = boucle.registry.CHAMPION, without importing MLflow's bridge


@dataclass(frozen=True)
class ChampionView:
    """What a promotion would replace: the champion now and when it last changed."""

    version: int | None
    """The version holding ``champion`` in the registry (None: no champion yet)."""
    changed_at: int | None = None
    """Ledger index of the last change of the champion (see :func:`~.history.alias_state`)."""
    target_alias: str = CHAMPION
    """The alias the promotion moves."""


@dataclass(frozen=True)
class ChecklistItem:
    """One mandatory item: ``passed`` or not, what was found, and how to get it when missing."""

    name: str
    label: str
    passed: bool
    detail: str
    fix: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return dict(self.__dict__)


def _item(name: str, label: str, found: tuple[bool, str], fix: str) -> ChecklistItem:
    passed, detail = found
    return ChecklistItem(name, label, passed, detail, "" if passed else fix)


def build_checklist(
    *,
    config: BoucleConfig,
    policy: Policy,
    classification: Classification | None,
    evidence: Evidence,
    roles: list[RoleStatus],
    champion: ChampionView | None = None,
) -> list[ChecklistItem]:
    """Evaluate every item ``policy`` requires against the evidence, approvals and config.

    ``classification`` is the current ``use_case:`` classified now (None without a use case);
    the recorded one is in ``evidence.classification``. With ``champion`` the champion gate
    is judged against that champion (and added when the policy makes it automatic); without
    it, only a listed ``champion_gate`` is checked, on the latest gate decision.
    """
    items: list[ChecklistItem] = []
    if not policy.promotion_allowed:
        refs = ", ".join(classification.refs) if classification else "Art. 5"
        items.append(
            ChecklistItem(
                "prohibited",
                "not a prohibited practice (Art. 5)",
                False,
                f"{refs}: a prohibited practice may not be placed on the market, put into "
                "service or used",
                "Change the use case; no approval can lift an Art. 5 prohibition.",
            )
        )
    gate = _gate_item(policy, evidence, champion)
    for name in policy.require:
        if name == "champion_gate":
            items += [gate] if gate is not None else []
            continue
        label, check, fix = CHECKS[name]
        found = check(config, classification, evidence)
        items.append(_item(name, label, found, fix_of(name, evidence) or fix))
    if gate is not None and "champion_gate" not in policy.require:
        items.append(gate)  # automatic: after the listed items
    if policy.min_retention_days:
        days, source = retention_setting(config, policy)
        items.append(
            _item(
                "retention",
                f"log and ledger retention ≥ {policy.min_retention_days} days (Art. 19, 26(6))",
                (days >= policy.min_retention_days, f"{source} = {days}"),
                f"Set governance.retention_days to at least {policy.min_retention_days}.",
            )
        )
    for status in roles:
        items.append(_approval_item(status, evidence))
    return items


def _approval_item(status: RoleStatus, evidence: Evidence) -> ChecklistItem:
    notes = "; ".join(status.notes)
    ref = evidence.ref
    if status.approval is not None:
        approval = status.approval
        detail = f"{approval.by} (#{approval.index}, {approval.time[:10]})"
        return ChecklistItem(f"approval:{status.role}", f"approval by {status.role}", True, detail)
    detail = notes or "no approval for the current evidence"
    return ChecklistItem(
        f"approval:{status.role}",
        f"approval by {status.role}",
        False,
        detail,
        f"boucle approve {ref.version} --role {status.role} --by NAME --comment '...' "
        f"(evidence {evidence.hash[:12]})",
    )


def champion_gate_event(evidence: Evidence, champion: int) -> LedgerEvent | None:
    """The latest ``gate_evaluated`` of this version (challenger) against ``champion``."""
    return next(
        (
            e
            for e in reversed(evidence.events)
            if e.kind == "gate_evaluated"
            and str(e.payload.get("champion_version")) == str(champion)
        ),
        None,
    )


def _gate_item(
    policy: Policy, evidence: Evidence, champion: ChampionView | None
) -> ChecklistItem | None:
    listed = "champion_gate" in policy.require
    label, legacy, _ = CHECKS["champion_gate"]
    version = evidence.ref.version
    if champion is None or champion.version is None:
        if not listed:
            return None
        fix = f"Run `boucle gate {version}` (gates: in boucle.yaml) and pass it."
        return _item("champion_gate", label, legacy(None, None, evidence), fix)
    if champion.version == version:
        if not listed:
            return None
        found = (True, f"v{version} is already {CHAMPION}: no champion to beat")
        return _item("champion_gate", label, found, "")
    automatic = policy.gate_against_champion and champion.target_alias == CHAMPION
    if not (listed or automatic):
        return None
    fix = f"Run `boucle gate {version}` (against champion v{champion.version}) and pass it."
    return _item("champion_gate", label, _fresh_gate(evidence, champion, champion.version), fix)


def _fresh_gate(evidence: Evidence, champion: ChampionView, holder: int) -> Found:
    event = champion_gate_event(evidence, holder)
    if event is None:
        return False, f"no gate_evaluated of v{evidence.ref.version} against champion v{holder}"
    if champion.changed_at is not None and event.index < champion.changed_at:
        return (
            False,
            f"the gate against v{holder} ({event_at(event)}) predates the last change of the "
            f"champion (#{champion.changed_at})",
        )
    if not event.payload.get("passed"):
        checks = event.payload.get("checks") or []
        failed = [str(c.get("name")) for c in checks if isinstance(c, dict) and not c.get("passed")]
        return False, f"failed against v{holder} ({event_at(event)}): {', '.join(failed)}"
    return True, f"passed against champion v{holder} ({event_at(event)})"
