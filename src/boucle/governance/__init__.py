"""Governance: EU AI Act risk classification, policies per risk class, approvals, promotion.

>>> from boucle.config import load_config
>>> from boucle import governance
>>> cfg = load_config("boucle.yaml")                               # doctest: +SKIP
>>> classification, event = governance.classify_project(cfg)       # doctest: +SKIP
>>> classification.risk_class, classification.refs                 # doctest: +SKIP
('high', ['Annex III 5(b)'])
>>> governance.approve_version(cfg, "2", role="risk-officer", by="alice")  # doctest: +SKIP
>>> governance.promote_version(cfg, "2")                           # doctest: +SKIP

Importing this package imports neither SQLAlchemy nor MLflow; the functions that need them
import them when called.
"""

from __future__ import annotations

from boucle.governance.approvals import (
    Approval,
    RoleStatus,
    approvals_of,
    approve_version,
    assess_approvals,
    check_approver,
    record_approval,
)
from boucle.governance.checklist import ChecklistItem, build_checklist
from boucle.governance.classify import (
    Classification,
    Trigger,
    classify_project,
    classify_use_case,
    latest_classification,
    record_classification,
    require_use_case,
    use_case_hash,
)
from boucle.governance.errors import ApprovalError, GovernanceError, PromotionRefusedError
from boucle.governance.evidence import (
    EVIDENCE_KINDS,
    Evidence,
    VersionRef,
    collect_evidence,
    evidence_hash,
    resolve_version_ref,
)
from boucle.governance.policies import (
    DEFAULT_POLICIES,
    Policy,
    PolicySet,
    effective_policy,
    load_policies,
    parse_policies,
)
from boucle.governance.promote import (
    PromotionCheck,
    check_promotion,
    evaluate_promotion,
    promote_version,
)
from boucle.governance.rules import RULES, Rule

__all__ = [
    "DEFAULT_POLICIES",
    "EVIDENCE_KINDS",
    "RULES",
    "Approval",
    "ApprovalError",
    "ChecklistItem",
    "Classification",
    "Evidence",
    "GovernanceError",
    "Policy",
    "PolicySet",
    "PromotionCheck",
    "PromotionRefusedError",
    "RoleStatus",
    "Rule",
    "Trigger",
    "VersionRef",
    "approvals_of",
    "approve_version",
    "assess_approvals",
    "build_checklist",
    "check_approver",
    "check_promotion",
    "classify_project",
    "classify_use_case",
    "collect_evidence",
    "effective_policy",
    "evaluate_promotion",
    "evidence_hash",
    "latest_classification",
    "load_policies",
    "parse_policies",
    "promote_version",
    "record_approval",
    "record_classification",
    "require_use_case",
    "resolve_version_ref",
    "use_case_hash",
]
