"""``use_case:`` and ``governance:`` of boucle.yaml: EU AI Act classification and approvals."""

from __future__ import annotations

from boucle.config.base import Section

__all__ = ["GovernanceConfig", "UseCaseConfig"]


class UseCaseConfig(Section):
    """``use_case:`` what the model is for, who it affects (the AI Act questionnaire)."""


class GovernanceConfig(Section):
    """``governance:`` roles and approvers, policies file, retention."""
