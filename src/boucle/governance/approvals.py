"""Approvals: a named person, listed under a role in config, approves a version's evidence.

An ``approval_recorded`` event carries the evidence hash it approved. It counts for a
promotion only while that hash is still the version's evidence hash (new evidence makes it
stale), while the person is still listed under the role, and only once per person: one
person cannot fill two roles for the same version.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from boucle.governance.errors import ApprovalError

if TYPE_CHECKING:
    from boucle.config import BoucleConfig
    from boucle.config.governance import GovernanceConfig
    from boucle.governance.evidence import Evidence
    from boucle.ledger import Ledger, LedgerEvent

__all__ = [
    "Approval",
    "RoleStatus",
    "approvals_of",
    "approve_version",
    "assess_approvals",
    "check_approver",
    "record_approval",
]


@dataclass(frozen=True)
class Approval:
    """One ``approval_recorded`` event."""

    index: int
    time: str
    model: str
    version: int
    role: str
    by: str
    comment: str
    evidence_hash: str

    @classmethod
    def from_event(cls, event: LedgerEvent) -> Approval:
        """Read an ``approval_recorded`` event."""
        payload = event.payload
        return cls(
            index=event.index,
            time=event.time,
            model=str(payload.get("model")),
            version=int(payload.get("version", -1)),
            role=str(payload.get("role")),
            by=str(payload.get("by")),
            comment=str(payload.get("comment", "")),
            evidence_hash=str(payload.get("evidence_hash")),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class RoleStatus:
    """Whether a required role has a counting approval, and why others do not count."""

    role: str
    approval: Approval | None
    notes: tuple[str, ...]


def approvals_of(ledger: Ledger, model: str, version: int) -> list[Approval]:
    """Every approval recorded for ``model`` version ``version``, oldest first."""
    found = (Approval.from_event(e) for e in ledger.events(kind="approval_recorded"))
    return [a for a in found if a.model == model and a.version == version]


def _not_counted(approval: Approval, governance: GovernanceConfig, evidence: Evidence) -> str:
    """Why an approval does not count ('' when it does)."""
    if approval.evidence_hash != evidence.hash:
        newer = evidence.newer_than(approval.index)
        shown = ", ".join(f"{e.kind} #{e.index}" for e in newer[:4])
        return (
            f"{approval.by}'s approval (#{approval.index}) is stale: the evidence changed "
            f"after it ({shown or 'different evidence'}); approve again"
        )
    if approval.by not in governance.roles.get(approval.role, []):
        return (
            f"{approval.by}'s approval (#{approval.index}) does not count: no longer listed "
            f"under governance.roles.{approval.role}"
        )
    return ""


def assess_approvals(
    approvals: list[Approval],
    required: list[str],
    governance: GovernanceConfig,
    evidence: Evidence,
) -> list[RoleStatus]:
    """Match each required role to a counting approval by a distinct person.

    A person approving under two roles fills one of them; the assignment maximises the number
    of filled roles (augmenting paths over role → person).
    """
    valid: dict[str, list[Approval]] = {role: [] for role in required}
    notes: dict[str, list[str]] = {role: [] for role in required}
    for approval in approvals:
        if approval.role not in valid:
            continue
        reason = _not_counted(approval, governance, evidence)
        if reason:
            notes[approval.role].append(reason)
        elif all(a.by != approval.by for a in valid[approval.role]):
            valid[approval.role].append(approval)
    assigned: dict[str, Approval] = {}
    role_of: dict[str, str] = {}

    def assign(role: str, seen: set[str]) -> bool:
        for approval in valid[role]:
            if approval.by in seen:
                continue
            seen.add(approval.by)
            if approval.by not in role_of or assign(role_of[approval.by], seen):
                role_of[approval.by] = role
                assigned[role] = approval
                return True
        return False

    for role in required:
        assign(role, set())
    statuses = []
    for role in required:
        if role not in assigned:
            for approval in valid[role]:
                other = role_of.get(approval.by)
                notes[role].append(
                    f"{approval.by} already fills the {other} role: one person cannot "
                    "approve under two roles"
                )
        statuses.append(RoleStatus(role, assigned.get(role), tuple(notes[role])))
    return statuses


def check_approver(governance: GovernanceConfig, role: str, by: str) -> None:
    """Raise ApprovalError unless ``by`` is listed under ``role`` in ``governance.roles``."""
    if role not in governance.roles:
        known = ", ".join(sorted(governance.roles)) or "none configured"
        raise ApprovalError(
            f"role '{role}' is not in governance.roles (known roles: {known}).",
            hint=f"Add it to boucle.yaml: governance: {{roles: {{{role}: [{by}]}}}}, or pass "
            "one of the known roles.",
        )
    people = governance.roles[role]
    if by not in people:
        raise ApprovalError(
            f"'{by}' may not approve as {role}: governance.roles.{role} lists "
            f"{', '.join(people) or 'nobody'}.",
            hint=f"Ask one of them to approve, or add '{by}' under governance.roles.{role}.",
        )


def record_approval(
    ledger: Ledger,
    governance: GovernanceConfig,
    evidence: Evidence,
    *,
    role: str,
    by: str,
    comment: str = "",
) -> Approval:
    """Append ``approval_recorded`` for the evidence of ``evidence.ref``; return it.

    Refused (ApprovalError) when ``by`` is not listed under ``role``, already approved this
    evidence under another role, or already approved it under this one.
    """
    by, role = by.strip(), role.strip()
    check_approver(governance, role, by)
    ref = evidence.ref
    for earlier in approvals_of(ledger, ref.model, ref.version):
        if earlier.by != by or earlier.evidence_hash != evidence.hash:
            continue
        if earlier.role == role:
            raise ApprovalError(
                f"{by} already approved {ref.model} v{ref.version} as {role} for this evidence "
                f"(ledger event #{earlier.index}); nothing recorded.",
                hint="A new approval is only needed after new evidence arrives.",
            )
        raise ApprovalError(
            f"{by} already approved {ref.model} v{ref.version} as {earlier.role} (ledger event "
            f"#{earlier.index}); one person cannot also approve as {role}.",
            hint=f"Ask another person listed under governance.roles.{role}.",
        )
    payload = {
        "model": ref.model,
        "version": ref.version,
        "role": role,
        "by": by,
        "comment": comment,
        "evidence_hash": evidence.hash,
    }
    event = ledger.append("approval_recorded", payload, lineage_id=ref.lineage_id)
    return Approval.from_event(event)


def approve_version(
    config: BoucleConfig, version: str, *, role: str, by: str, comment: str = ""
) -> tuple[Approval, Evidence]:
    """Record ``by``'s approval as ``role`` of a version (number or alias) of the project.

    Returns the approval and the evidence it binds to.
    """
    from boucle.governance.evidence import collect_evidence, resolve_version_ref
    from boucle.ledger import Ledger

    check_approver(config.governance, role.strip(), by.strip())  # before touching MLflow
    ref = resolve_version_ref(config, version)
    with Ledger(config.stores.ledger or "") as ledger:
        evidence = collect_evidence(ledger, ref)
        approval = record_approval(
            ledger, config.governance, evidence, role=role, by=by, comment=comment
        )
    return approval, evidence
