"""Errors of the governance layer (classification, approvals, promotion).

::

    BoucleError
    └── GovernanceError          an approval or promotion the policy does not allow
        ├── ApprovalError        approver not listed under the role, one person in two roles
        └── PromotionRefusedError  mandatory items missing; carries the checklist
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from boucle.errors import BoucleError

if TYPE_CHECKING:
    from boucle.governance.promote import PromotionCheck

__all__ = ["ApprovalError", "GovernanceError", "PromotionRefusedError"]


class GovernanceError(BoucleError):
    """An approval or a promotion the governance configuration does not allow."""


class ApprovalError(GovernanceError):
    """An approval cannot be recorded: unknown role, approver not listed, or a second role."""


class PromotionRefusedError(GovernanceError):
    """Promotion refused: ``check`` is the checklist, ``check.missing`` what is missing."""

    exit_code = 1

    def __init__(
        self, check: PromotionCheck, *, dry_run: bool = False, hint: str | None = None
    ) -> None:
        self.check = check
        self.dry_run = dry_run
        verdict = "would be refused (dry run)" if dry_run else "refused"
        super().__init__(
            f"promotion of {check.ref.model} v{check.ref.version} to champion {verdict} "
            f"({check.risk_label} policy): missing {', '.join(check.missing)}.",
            hint=hint,
        )
