"""The AI Act rule table: a use case lands in the class the Act gives it, naming the provision."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from boucle.config import parse_config
from boucle.config.governance import DECISION_CODES, DOMAINS, UseCaseConfig
from boucle.errors import ConfigError
from boucle.governance import RULES, classify_use_case, use_case_hash
from boucle.governance.rules import ANNEX_III_AREAS


def _use_case(**fields: Any) -> UseCaseConfig:
    return UseCaseConfig.model_validate({"purpose": "a purpose", "domain": "other", **fields})


def test_credit_scoring_is_high_risk_under_annex_iii_5b() -> None:
    result = classify_use_case(
        _use_case(domain="essential_services", decisions=["creditworthiness"], profiling=True)
    )
    assert result.risk_class == "high"
    assert result.refs == ["Annex III 5(b)"]
    assert "creditworthiness" in result.triggers[0].reason
    assert result.to_payload()["triggers"][0]["ref"] == "Annex III 5(b)"


def test_fraud_detection_is_excluded_from_5b_and_minimal() -> None:
    result = classify_use_case(
        _use_case(domain="essential_services", decisions=["fraud_detection"])
    )
    assert result.risk_class == "minimal"
    assert result.triggers == ()
    assert any("excluded from Annex III 5(b)" in note for note in result.notes)


@pytest.mark.parametrize(
    ("decision", "ref"),
    [
        ("social_scoring", "Art. 5(1)(c)"),
        ("emotion_recognition_work_education", "Art. 5(1)(f)"),
        ("crime_prediction_by_profiling", "Art. 5(1)(d)"),
    ],
)
def test_art5_practices_are_prohibited_even_next_to_high_risk_uses(decision: str, ref: str) -> None:
    result = classify_use_case(_use_case(decisions=["creditworthiness", decision]))
    assert result.risk_class == "prohibited"
    assert result.refs == [ref]
    # The other provisions stay listed, after the one that decides the class.
    assert [t.ref for t in result.triggers] == [ref, "Annex III 5(b)"]


def test_chatbot_is_limited_risk_under_art_50_1() -> None:
    result = classify_use_case(_use_case(decisions=["interacts_with_persons"]))
    assert (result.risk_class, result.refs) == ("limited", ["Art. 50(1)"])


def test_emotion_recognition_is_high_risk_with_art_50_3_duty() -> None:
    result = classify_use_case(_use_case(domain="biometrics", decisions=["emotion_recognition"]))
    assert result.risk_class == "high"
    assert [t.ref for t in result.triggers] == ["Annex III 1(c)", "Art. 50(3)"]


def test_derogation_lowers_an_annex_iii_use_without_profiling() -> None:
    result = classify_use_case(
        _use_case(
            domain="employment",
            decisions=["recruitment_selection"],
            derogation="narrow_procedural_task",
            derogation_reason="only de-duplicates CVs received twice",
        )
    )
    assert result.risk_class == "minimal"
    assert result.triggers[0].ref == "Art. 6(3)(a)"
    assert "Annex III 4(a)" in result.triggers[0].reason
    assert any("Art. 6(4)" in note and "Art. 49(2)" in note for note in result.notes)


def test_derogation_never_applies_when_the_system_profiles() -> None:
    result = classify_use_case(
        _use_case(
            domain="employment",
            decisions=["recruitment_selection"],
            profiling=True,
            derogation="preparatory_task",
            derogation_reason="ranks candidates before a human interview",
        )
    )
    assert (result.risk_class, result.refs) == ("high", ["Annex III 4(a)"])
    assert any("always high-risk" in note for note in result.notes)


def test_safety_component_is_high_risk_under_art_6_1() -> None:
    result = classify_use_case(_use_case(safety_component=True))
    assert (result.risk_class, result.refs) == ("high", ["Art. 6(1)"])


def test_annex_area_without_a_listed_use_is_minimal_with_a_note() -> None:
    result = classify_use_case(_use_case(domain="employment"))
    assert result.risk_class == "minimal"
    assert any("Annex III 4" in n and "recruitment_selection" in n for n in result.notes)


def test_census_statistics_use_case_is_minimal() -> None:
    result = classify_use_case(_use_case(purpose="aggregate census statistics"))
    assert result.risk_class == "minimal" and result.refs == []
    assert any("minimal risk" in note for note in result.notes)


def test_rule_table_covers_annex_iii_points_1_to_8_and_art_5_a_to_h() -> None:
    assert {rule.code for rule in RULES} == set(DECISION_CODES)
    annex = {rule.ref for rule in RULES if rule.risk_class == "high"}
    points = {re.match(r"Annex III (\d)", ref).group(1) for ref in annex}  # type: ignore[union-attr]
    assert points == {str(n) for n in range(1, 9)}
    assert len(annex) == 25  # 3 + 1 + 4 + 2 + 4 + 5 + 4 + 2 sub-points
    art5 = sorted(rule.ref for rule in RULES if rule.risk_class == "prohibited")
    assert art5 == [f"Art. 5(1)({letter})" for letter in "abcdefgh"]
    # Every Annex III area of the domain enum has its rules, and every rule's area is a domain.
    assert set(ANNEX_III_AREAS) == set(DOMAINS) - {"other"}
    assert {rule.domain for rule in RULES if rule.domain} == set(ANNEX_III_AREAS)


def test_use_case_hash_ignores_layout_but_not_content() -> None:
    one = _use_case(decisions=["creditworthiness", "creditworthiness"], users=[" analysts "])
    two = _use_case(decisions=["creditworthiness"], users=["analysts"])
    assert use_case_hash(one) == use_case_hash(two)
    assert use_case_hash(two) != use_case_hash(_use_case(decisions=["creditworthiness"]))


def test_config_errors_name_the_bad_key_and_value(tmp_path: Path) -> None:
    head = "project: p\ntask: classification\ndata: {source: x.csv, target: y}\n"
    with pytest.raises(ConfigError) as bad_code:
        parse_config(
            head + "use_case: {purpose: p, domain: other, decisions: [credit_scoring]}\n",
            source=tmp_path / "boucle.yaml",
        )
    assert "use_case.decisions.0" in bad_code.value.message
    assert "creditworthiness" in bad_code.value.message  # the valid codes are listed
    with pytest.raises(ConfigError) as typo:
        parse_config(
            head + "use_case: {purpose: p, domain: other, profilling: true}\n",
            source=tmp_path / "boucle.yaml",
        )
    assert "unknown key 'profilling' in use_case" in typo.value.message
    with pytest.raises(ConfigError) as no_reason:
        parse_config(
            head + "use_case: {purpose: p, domain: other, derogation: preparatory_task}\n",
            source=tmp_path / "boucle.yaml",
        )
    assert "derogation_reason" in no_reason.value.message
    with pytest.raises(ConfigError) as empty_person:
        parse_config(
            head + "governance: {roles: {risk-officer: ['']}}\n", source=tmp_path / "boucle.yaml"
        )
    assert "role 'risk-officer': entries must be non-empty" in empty_person.value.message
