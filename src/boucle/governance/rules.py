"""The rule table of the AI Act (Regulation (EU) 2024/1689): one row per catalogue code.

Each ``use_case.decisions`` code maps to the provision that names it: an Art. 5(1) prohibited
practice, an Annex III high-risk sub-point, an Art. 50 transparency case, or a use that Annex
III expressly excludes from a point (fraud detection, biometric verification). The wording is
a faithful summary of the Act, short enough for a terminal; the Act itself prevails.
"""

from __future__ import annotations

from dataclasses import dataclass

from boucle.config.governance import DecisionCode, Derogation, Domain, RiskClass

__all__ = [
    "ANNEX_III_AREAS",
    "DEROGATIONS",
    "RULES",
    "Rule",
    "rule_for",
]


@dataclass(frozen=True)
class Rule:
    """One catalogue code: the provision it falls under and what that provision says.

    ``risk_class`` is None for the uses Annex III excludes from a point (they trigger nothing
    by themselves); ``transparency`` names an Art. 50 duty the use carries on top.
    """

    code: DecisionCode
    ref: str
    risk_class: RiskClass | None
    domain: Domain | None
    summary: str
    transparency: str | None = None


ANNEX_III_AREAS: dict[Domain, tuple[str, str]] = {
    "biometrics": ("Annex III 1", "biometrics"),
    "critical_infrastructure": ("Annex III 2", "critical infrastructure"),
    "education": ("Annex III 3", "education and vocational training"),
    "employment": ("Annex III 4", "employment, workers' management, access to self-employment"),
    "essential_services": ("Annex III 5", "access to essential private and public services"),
    "law_enforcement": ("Annex III 6", "law enforcement"),
    "migration": ("Annex III 7", "migration, asylum and border control management"),
    "justice_democracy": ("Annex III 8", "administration of justice and democratic processes"),
}

DEROGATIONS: dict[Derogation, tuple[str, str]] = {
    "narrow_procedural_task": ("Art. 6(3)(a)", "performs a narrow procedural task"),
    "improves_completed_human_activity": (
        "Art. 6(3)(b)",
        "improves the result of a previously completed human activity",
    ),
    "detects_decision_patterns": (
        "Art. 6(3)(c)",
        "detects decision-making patterns or deviations from them, without replacing or "
        "influencing the completed human assessment without proper human review",
    ),
    "preparatory_task": ("Art. 6(3)(d)", "performs a preparatory task to an assessment"),
}

_P: RiskClass = "prohibited"
_H: RiskClass = "high"
_L: RiskClass = "limited"

RULES: tuple[Rule, ...] = (
    # Art. 5(1): practices that may not be placed on the market, put into service or used.
    Rule("harmful_manipulation", "Art. 5(1)(a)", _P, None,
         "subliminal, purposefully manipulative or deceptive techniques that materially distort "
         "behaviour and cause or are likely to cause significant harm"),
    Rule("exploits_vulnerabilities", "Art. 5(1)(b)", _P, None,
         "exploits vulnerabilities due to age, disability or a specific social or economic "
         "situation to materially distort behaviour, causing significant harm"),
    Rule("social_scoring", "Art. 5(1)(c)", _P, None,
         "social scoring: evaluates or classifies persons over time by social behaviour or "
         "personal characteristics, leading to detrimental or disproportionate treatment"),
    Rule("crime_prediction_by_profiling", "Art. 5(1)(d)", _P, None,
         "predicts the risk that a person commits a criminal offence based solely on profiling "
         "or on personality traits"),
    Rule("facial_image_scraping", "Art. 5(1)(e)", _P, None,
         "builds or expands facial recognition databases by untargeted scraping of facial "
         "images from the internet or CCTV footage"),
    Rule("emotion_recognition_work_education", "Art. 5(1)(f)", _P, None,
         "infers emotions of persons at the workplace or in education institutions (other "
         "than for medical or safety reasons)"),
    Rule("biometric_categorisation_sensitive", "Art. 5(1)(g)", _P, None,
         "biometric categorisation inferring race, political opinions, trade-union membership, "
         "religious or philosophical beliefs, sex life or sexual orientation"),
    Rule("realtime_biometric_id_law_enforcement", "Art. 5(1)(h)", _P, None,
         "'real-time' remote biometric identification in publicly accessible spaces for law "
         "enforcement (outside the strictly necessary exceptions)"),
    # Annex III (Art. 6(2)): high-risk uses, point by point.
    Rule("remote_biometric_identification", "Annex III 1(a)", _H, "biometrics",
         "remote biometric identification (not mere verification of a claimed identity)"),
    Rule("biometric_categorisation", "Annex III 1(b)", _H, "biometrics",
         "biometric categorisation according to sensitive or protected attributes",
         transparency="Art. 50(3)"),
    Rule("emotion_recognition", "Annex III 1(c)", _H, "biometrics",
         "emotion recognition", transparency="Art. 50(3)"),
    Rule("critical_infrastructure_safety", "Annex III 2", _H, "critical_infrastructure",
         "safety component in the management and operation of critical digital "
         "infrastructure, road traffic, or the supply of water, gas, heating or electricity"),
    Rule("education_admission", "Annex III 3(a)", _H, "education",
         "determines access or admission, or assigns persons, to education and vocational "
         "training institutions"),
    Rule("learning_outcome_evaluation", "Annex III 3(b)", _H, "education",
         "evaluates learning outcomes, including to steer the learning process"),
    Rule("education_level_assessment", "Annex III 3(c)", _H, "education",
         "assesses the level of education a person will receive or be able to access"),
    Rule("exam_behaviour_monitoring", "Annex III 3(d)", _H, "education",
         "monitors and detects prohibited behaviour of students during tests"),
    Rule("recruitment_selection", "Annex III 4(a)", _H, "employment",
         "recruitment or selection: targeted job adverts, analysing and filtering applications, "
         "evaluating candidates"),
    Rule("employment_decisions", "Annex III 4(b)", _H, "employment",
         "decisions on terms of work relationships, promotion or termination, task allocation "
         "by behaviour or traits, monitoring or evaluating performance and behaviour"),
    Rule("public_benefits_eligibility", "Annex III 5(a)", _H, "essential_services",
         "evaluates eligibility for essential public assistance benefits and services "
         "(including healthcare), or grants, reduces, revokes or reclaims them"),
    Rule("creditworthiness", "Annex III 5(b)", _H, "essential_services",
         "evaluates the creditworthiness of natural persons or establishes their credit score"),
    Rule("life_health_insurance_pricing", "Annex III 5(c)", _H, "essential_services",
         "risk assessment and pricing for natural persons in life and health insurance"),
    Rule("emergency_triage", "Annex III 5(d)", _H, "essential_services",
         "evaluates and classifies emergency calls, dispatches or prioritises first response "
         "services, or triages emergency healthcare patients"),
    Rule("victim_risk_assessment", "Annex III 6(a)", _H, "law_enforcement",
         "assesses the risk of a person becoming the victim of criminal offences"),
    Rule("law_enforcement_polygraph", "Annex III 6(b)", _H, "law_enforcement",
         "polygraph or similar tool for law enforcement"),
    Rule("evidence_reliability", "Annex III 6(c)", _H, "law_enforcement",
         "evaluates the reliability of evidence in criminal investigation or prosecution"),
    Rule("offending_risk_assessment", "Annex III 6(d)", _H, "law_enforcement",
         "assesses the risk of offending or re-offending (not solely by profiling), or "
         "personality traits or past criminal behaviour"),
    Rule("law_enforcement_profiling", "Annex III 6(e)", _H, "law_enforcement",
         "profiles persons in the detection, investigation or prosecution of criminal offences"),
    Rule("migration_polygraph", "Annex III 7(a)", _H, "migration",
         "polygraph or similar tool for migration, asylum or border control"),
    Rule("migration_risk_assessment", "Annex III 7(b)", _H, "migration",
         "assesses a security, irregular-migration or health risk posed by a person entering "
         "or having entered a Member State"),
    Rule("asylum_visa_examination", "Annex III 7(c)", _H, "migration",
         "assists the examination of asylum, visa or residence-permit applications and "
         "complaints, including the reliability of evidence"),
    Rule("migration_person_identification", "Annex III 7(d)", _H, "migration",
         "detects, recognises or identifies persons in migration or border control (other "
         "than verifying travel documents)"),
    Rule("judicial_assistance", "Annex III 8(a)", _H, "justice_democracy",
         "assists a judicial authority (or alternative dispute resolution) in researching and "
         "interpreting facts and law and applying the law to facts"),
    Rule("election_influence", "Annex III 8(b)", _H, "justice_democracy",
         "intended to influence the outcome of an election or referendum or voting behaviour"),
    # Uses Annex III names only to exclude them.
    Rule("fraud_detection", "Annex III 5(b)", None, "essential_services",
         "detecting financial fraud is excluded from Annex III 5(b)"),
    Rule("biometric_verification", "Annex III 1(a)", None, "biometrics",
         "biometric verification that only confirms a claimed identity is excluded from "
         "Annex III 1(a)"),
    # Art. 50: transparency obligations.
    Rule("interacts_with_persons", "Art. 50(1)", _L, None,
         "interacts directly with natural persons: they must be told they deal with an AI "
         "system"),
    Rule("synthetic_content", "Art. 50(2)", _L, None,
         "generates synthetic audio, image, video or text: outputs must be marked as "
         "artificially generated in a machine-readable format"),
    Rule("deep_fake", "Art. 50(4)", _L, None,
         "generates or manipulates deep fakes (or text informing the public): the artificial "
         "origin must be disclosed"),
)  # fmt: skip

_BY_CODE = {rule.code: rule for rule in RULES}


def rule_for(code: DecisionCode) -> Rule:
    """The rule of one catalogue code."""
    return _BY_CODE[code]
