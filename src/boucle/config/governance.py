"""``use_case:`` and ``governance:`` of boucle.yaml: EU AI Act classification and approvals.

``use_case`` is the questionnaire of Regulation (EU) 2024/1689 (the AI Act): what the model is
for, who uses it, whom it affects and which decisions it feeds. ``decisions`` takes codes from
a fixed catalogue (one per Annex III sub-point, Art. 5 practice and Art. 50 case) so that the
risk class follows from the text of the Act, not from free-text matching; the rule table that
maps each code to its article lives in :mod:`boucle.governance.rules`.
"""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import Field, field_validator, model_validator

from boucle.config.base import Section

__all__ = [
    "DECISION_CODES",
    "DOMAINS",
    "DecisionCode",
    "Derogation",
    "Domain",
    "GovernanceConfig",
    "RiskClass",
    "UseCaseConfig",
]

RiskClass = Literal["prohibited", "high", "limited", "minimal"]

Domain = Literal[
    "biometrics",  # Annex III 1
    "critical_infrastructure",  # Annex III 2
    "education",  # Annex III 3
    "employment",  # Annex III 4
    "essential_services",  # Annex III 5
    "law_enforcement",  # Annex III 6
    "migration",  # Annex III 7
    "justice_democracy",  # Annex III 8
    "other",
]
DOMAINS: tuple[Domain, ...] = get_args(Domain)

DecisionCode = Literal[
    # Art. 5(1) prohibited practices
    "harmful_manipulation",
    "exploits_vulnerabilities",
    "social_scoring",
    "crime_prediction_by_profiling",
    "facial_image_scraping",
    "emotion_recognition_work_education",
    "biometric_categorisation_sensitive",
    "realtime_biometric_id_law_enforcement",
    # Annex III high-risk uses
    "remote_biometric_identification",
    "biometric_categorisation",
    "emotion_recognition",
    "critical_infrastructure_safety",
    "education_admission",
    "learning_outcome_evaluation",
    "education_level_assessment",
    "exam_behaviour_monitoring",
    "recruitment_selection",
    "employment_decisions",
    "public_benefits_eligibility",
    "creditworthiness",
    "life_health_insurance_pricing",
    "emergency_triage",
    "victim_risk_assessment",
    "law_enforcement_polygraph",
    "evidence_reliability",
    "offending_risk_assessment",
    "law_enforcement_profiling",
    "migration_polygraph",
    "migration_risk_assessment",
    "asylum_visa_examination",
    "migration_person_identification",
    "judicial_assistance",
    "election_influence",
    # Uses the Act names to exclude them from a high-risk point
    "fraud_detection",
    "biometric_verification",
    # Art. 50 transparency cases
    "interacts_with_persons",
    "synthetic_content",
    "deep_fake",
]
DECISION_CODES: tuple[DecisionCode, ...] = get_args(DecisionCode)

Derogation = Literal[
    "narrow_procedural_task",  # Art. 6(3)(a)
    "improves_completed_human_activity",  # Art. 6(3)(b)
    "detects_decision_patterns",  # Art. 6(3)(c)
    "preparatory_task",  # Art. 6(3)(d)
]


def _strip_items(values: list[str]) -> list[str]:
    cleaned = [value.strip() for value in values]
    if any(not value for value in cleaned):
        raise ValueError("entries must be non-empty text")
    return cleaned


class UseCaseConfig(Section):
    """``use_case:`` what the model is for, who it affects (the AI Act questionnaire)."""

    purpose: str = Field(
        min_length=1,
        description="The intended purpose in one or two sentences (Art. 3(12)), e.g. "
        "'score the creditworthiness of consumer-loan applicants'.",
    )
    domain: Domain = Field(
        description="The area the model is used in: an Annex III area (biometrics, "
        "critical_infrastructure, education, employment, essential_services, law_enforcement, "
        "migration, justice_democracy) or 'other'.",
    )
    decisions: list[DecisionCode] = Field(
        default_factory=list,
        description="What the model's output is used for, as catalogue codes (Annex III "
        "sub-points, Art. 5 practices, Art. 50 cases); `boucle classify --interactive` lists "
        "them. Empty: none of the catalogue applies.",
    )
    users: list[str] = Field(
        default_factory=list,
        description="Who operates the system (the deployer's staff), e.g. 'credit analysts'.",
    )
    affected_persons: list[str] = Field(
        default_factory=list,
        description="Natural persons the outputs are about or affect, e.g. 'loan applicants'.",
    )
    profiling: bool = Field(
        default=False,
        description="The model profiles natural persons (GDPR Art. 4(4)): an Annex III system "
        "that profiles is always high-risk, whatever Art. 6(3) derogation is claimed.",
    )
    safety_component: bool = Field(
        default=False,
        description="The model is a safety component of (or is) a product covered by the "
        "Union harmonisation legislation of Annex I (machinery, medical devices, toys, ...): "
        "high-risk under Art. 6(1).",
    )
    human_oversight: str | None = Field(
        default=None,
        description="How people oversee the outputs and can override them (Art. 14), e.g. "
        "'an analyst reviews every refusal before it is sent'.",
    )
    transparency_notice: str | None = Field(
        default=None,
        description="How affected persons are told that an AI system is involved "
        "(Art. 50, Art. 26(11)).",
    )
    data_categories: list[str] = Field(
        default_factory=list,
        description="Kinds of personal data used, e.g. financial, demographic, employment, "
        "health (GDPR Art. 9 special categories deserve a mention).",
    )
    derogation: Derogation | None = Field(
        default=None,
        description="Art. 6(3) derogation claimed for an Annex III use: narrow_procedural_task, "
        "improves_completed_human_activity, detects_decision_patterns or preparatory_task.",
    )
    derogation_reason: str | None = Field(
        default=None,
        description="The documented assessment behind the derogation (Art. 6(4)); required "
        "with `derogation`.",
    )

    @field_validator("purpose", "human_oversight", "transparency_notice", "derogation_reason")
    @classmethod
    def _strip_text(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.strip():
            raise ValueError("must be non-empty text (or left out)")
        return value.strip()

    @field_validator("users", "affected_persons", "data_categories")
    @classmethod
    def _strip_lists(cls, values: list[str]) -> list[str]:
        return _strip_items(values)

    @field_validator("decisions")
    @classmethod
    def _unique_decisions(cls, values: list[DecisionCode]) -> list[DecisionCode]:
        return list(dict.fromkeys(values))

    @model_validator(mode="after")
    def _derogation_needs_reason(self) -> UseCaseConfig:
        if self.derogation is not None and self.derogation_reason is None:
            raise ValueError(
                f"use_case.derogation '{self.derogation}' needs use_case.derogation_reason: "
                "the documented assessment of Art. 6(4)"
            )
        return self


class GovernanceConfig(Section):
    """``governance:`` roles and approvers, policies file, retention."""

    roles: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Who may approve as which role, e.g. {risk-officer: [alice], "
        "model-owner: [bob]}. `boucle approve --role R --by NAME` needs NAME listed under R.",
    )
    required_approvals: list[str] | None = Field(
        default=None,
        description="Roles that must each approve a promotion, replacing the list of the risk "
        "class's policy (null: the policy's list).",
    )
    policies: str | None = Field(
        default=None,
        description="Policies file overriding the shipped defaults, relative to boucle.yaml "
        "(null: policies.yaml next to boucle.yaml when it exists).",
    )
    retention_days: int = Field(
        default=183,
        ge=1,
        description="Days the prediction logs and the ledger are kept at least (Art. 19(1) "
        "and 26(6): six months for high-risk systems).",
    )
    monitoring_plan: str | None = Field(
        default=None,
        description="The post-market monitoring plan (Art. 72): a document path relative to "
        "boucle.yaml, or a URL.",
    )

    @field_validator("roles")
    @classmethod
    def _check_roles(cls, roles: dict[str, list[str]]) -> dict[str, list[str]]:
        cleaned: dict[str, list[str]] = {}
        for role, people in roles.items():
            if not role.strip():
                raise ValueError("role names must be non-empty")
            try:
                cleaned[role.strip()] = list(dict.fromkeys(_strip_items(people)))
            except ValueError as exc:
                raise ValueError(f"role '{role}': {exc}") from None
        return cleaned

    @field_validator("required_approvals")
    @classmethod
    def _check_required(cls, roles: list[str] | None) -> list[str] | None:
        return None if roles is None else list(dict.fromkeys(_strip_items(roles)))
