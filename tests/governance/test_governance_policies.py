"""Policies: shipped defaults per risk class, policies.yaml overrides, strict validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from boucle.config import BoucleConfig, parse_config
from boucle.errors import ConfigError
from boucle.governance import DEFAULT_POLICIES, effective_policy, load_policies

HEAD = "project: p\ntask: classification\ndata: {source: x.csv, target: y}\n"


def _config(tmp_path: Path, extra: str = "") -> BoucleConfig:
    return parse_config(HEAD + extra, source=tmp_path / "boucle.yaml", env={})


def test_defaults_follow_the_risk_classes(tmp_path: Path) -> None:
    policies = load_policies(_config(tmp_path))
    assert policies.source == "shipped defaults"
    high = policies.for_class("high")
    assert {"data_gate", "fairness_gate", "explanation", "robustness", "monitoring_plan"} <= set(
        high.require
    )
    assert high.approvals == ["risk-officer", "model-owner"]
    assert high.min_retention_days >= 183  # six months: Art. 19(1), 26(6)
    minimal = policies.for_class("minimal")
    assert set(minimal.require) < set(high.require) and minimal.approvals == []
    assert not policies.for_class("prohibited").promotion_allowed
    assert "transparency_notice" in policies.for_class("limited").require


def test_policies_yaml_next_to_boucle_yaml_overrides_given_fields_only(tmp_path: Path) -> None:
    (tmp_path / "policies.yaml").write_text(
        "high:\n  approvals: [risk-officer, model-owner, compliance]\n  min_retention_days: 365\n"
        "minimal:\n  require: [classified, data_gate, onnx_parity]\n"
    )
    policies = load_policies(_config(tmp_path))
    assert policies.source == str(tmp_path / "policies.yaml")
    high = policies.for_class("high")
    assert high.approvals == ["risk-officer", "model-owner", "compliance"]
    assert high.min_retention_days == 365
    assert high.require == DEFAULT_POLICIES["high"].require  # not given: kept
    assert policies.for_class("minimal").require == ["classified", "data_gate", "onnx_parity"]
    assert policies.for_class("limited") == DEFAULT_POLICIES["limited"]


def test_governance_policies_names_another_file(tmp_path: Path) -> None:
    (tmp_path / "gov").mkdir()
    (tmp_path / "gov" / "strict.yaml").write_text("minimal: {approvals: [model-owner]}\n")
    cfg = _config(tmp_path, "governance: {policies: gov/strict.yaml}\n")
    assert load_policies(cfg).for_class("minimal").approvals == ["model-owner"]
    missing = _config(tmp_path, "governance: {policies: gov/absent.yaml}\n")
    with pytest.raises(ConfigError) as error:
        load_policies(missing)
    assert "governance.policies 'gov/absent.yaml' does not exist" in error.value.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("high: {aprovals: [x]}\n", "unknown key 'high.aprovals'. Did you mean 'approvals'?"),
        ("severe: {approvals: [x]}\n", "unknown key 'severe'"),
        ("high: {require: [fairness]}\n", "high.require.0 = 'fairness'"),
        ("high: {min_retention_days: -1}\n", "high.min_retention_days = -1"),
        ("prohibited: {promotion_allowed: true}\n", "Art. 5 practice may not be placed"),
        ("- high\n", "must map risk classes to policies"),
        ("high: [\n", "cannot parse YAML"),
    ],
)
def test_bad_policies_file_is_a_config_error(tmp_path: Path, text: str, expected: str) -> None:
    (tmp_path / "policies.yaml").write_text(text)
    with pytest.raises(ConfigError) as error:
        load_policies(_config(tmp_path))
    assert expected in error.value.message
    assert str(tmp_path / "policies.yaml") in error.value.message


def test_required_approvals_in_config_replace_the_policy_list(tmp_path: Path) -> None:
    cfg = _config(tmp_path, "governance: {required_approvals: [compliance]}\n")
    policies = load_policies(cfg)
    assert effective_policy(cfg, policies, "high").approvals == ["compliance"]
    assert effective_policy(cfg, policies, "minimal").approvals == ["compliance"]
    # Nothing can make a prohibited practice promotable.
    assert not effective_policy(cfg, policies, "prohibited").promotion_allowed
