"""``data.checks``: defaults for an absent section, the ``schema`` key, unknown keys refused."""

from __future__ import annotations

import pytest
import yaml
from pydantic import ValidationError

from boucle.config.checks import _DEFAULT_PII_POLICIES
from boucle.data.pii import PII_TYPES
from boucle.data.validate import ChecksConfig, SchemaCheckConfig


def test_absent_section_gives_every_check_with_defaults() -> None:
    config = ChecksConfig.model_validate({})
    assert config == ChecksConfig()
    assert config.schema_.path == "schema.yaml" and config.schema_.severity == "error"
    assert config.missing.max_share == 0.5
    assert config.duplicates.max_share == 0.05
    assert config.high_cardinality.max_unique_share == 0.9
    assert (config.leakage.max_auc, config.leakage.max_r2) == (0.98, 0.98)
    assert config.leakage.severity == "error"
    assert config.label_balance.min_share == 0.01
    assert config.representation.min_share == 0.01
    assert config.representation.min_count == 30
    assert config.representation.split_tolerance == 0.05
    assert config.pii.default == "warn" and config.pii.salt_env == "BOUCLE_PII_SALT"
    assert config.pii.policy_for("nir") == "error" and config.pii.policy_for("email") == "drop"
    assert config.pii.policy_for("siren") == "warn"  # not listed: the default
    assert config.sources.external is False
    assert set(_DEFAULT_PII_POLICIES) <= set(PII_TYPES)


def test_yaml_section_round_trips_under_the_schema_key() -> None:
    text = """
schema: {path: conf/schema.yaml, severity: warn}
leakage: {max_auc: 0.95}
pii:
  default: hash
  policies: {email: drop, nir: error}
sources: {owner: risk-team, licence: CC BY 4.0, refresh: monthly, external: true}
"""
    config = ChecksConfig.model_validate(yaml.safe_load(text))
    assert config.schema_.path == "conf/schema.yaml" and config.schema_.severity == "warn"
    assert config.pii.policies == {"email": "drop", "nir": "error"}
    assert config.pii.policy_for("iban") == "hash"
    dumped = config.model_dump(mode="json")
    assert "schema" in dumped and "schema_" not in dumped
    assert ChecksConfig.model_validate(dumped) == config
    assert ChecksConfig.model_validate({"schema": {"path": None}}).schema_.path is None
    assert ChecksConfig(schema=SchemaCheckConfig(severity="off")).schema_.severity == "off"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"missing": {"max_shar": 0.2}}, "Extra inputs are not permitted"),
        ({"leakage": {"severity": "fatal"}}, "Input should be 'error', 'warn' or 'off'"),
        ({"missing": {"max_share": 1.5}}, "less than or equal to 1"),
        ({"duplicats": {}}, "Extra inputs are not permitted"),
        ({"representation": {"bins": 1}}, "greater than or equal to 2"),
    ],
)
def test_bad_values_are_refused(data: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ChecksConfig.model_validate(data)
