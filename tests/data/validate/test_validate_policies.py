"""PII policies (drop, hash, error, warn) on synthetic personal data, and the sources check."""

from __future__ import annotations

import random

import pandas as pd
import pytest

from boucle.config.checks import PiiCheckConfig, SourcesConfig
from boucle.data.pii import hash_column
from boucle.data.pii.synthetic import PII_COLUMNS, fake_nir, fake_phone_fr
from boucle.data.validate import (
    ChecksConfig,
    PiiAction,
    apply_pii_policies,
    raise_for_errors,
    run_checks,
)
from boucle.data.validate.policies import check_pii, check_sources
from boucle.errors import ConfigError, DataError

SALT = "a-test-salt-of-32-characters-ok!"
ENV = {"BOUCLE_PII_SALT": SALT}


@pytest.fixture(scope="module")
def customers(german: pd.DataFrame) -> pd.DataFrame:
    """German credit with an email, a NIR, a phone and an IP column (synthetic, seeded)."""
    rng = random.Random(3)
    frame = german.copy()
    rows = len(frame)
    frame["email"] = [str(PII_COLUMNS["email"][1](rng, i)) for i in range(rows)]
    frame["numero_secu"] = [fake_nir(rng) for _ in range(rows)]
    frame["telephone_fixe"] = [fake_phone_fr(rng) for _ in range(rows)]
    frame["last_login_ip"] = [str(PII_COLUMNS["last_login_ip"][1](rng, i)) for i in range(rows)]
    return frame


def _pii(**settings: object) -> ChecksConfig:
    return ChecksConfig.model_validate({"pii": settings})


def test_default_policies_drop_hash_and_stop(customers: pd.DataFrame) -> None:
    config = ChecksConfig()
    report = run_checks(
        customers, target="creditability", task="classification", config=config, environ=ENV
    )
    assert report.pii is not None
    assert report.pii.pii_columns == {
        "email": "email",
        "numero_secu": "nir",
        "telephone_fixe": "phone_fr",
        "last_login_ip": "ip_address",
    }
    pii = {r.column: r for r in report.results if r.name == "pii"}
    assert pii["numero_secu"].severity == "error" and not pii["numero_secu"].passed
    assert "policy 'error'" in pii["numero_secu"].message
    assert pii["email"].passed and "dropped" in pii["email"].message
    assert pii["last_login_ip"].passed and "salted hash" in pii["last_login_ip"].message
    assert SALT not in str(report.to_dict())
    assert "@" not in pii["email"].message.replace("***@", "")  # examples are masked
    with pytest.raises(DataError, match=r"pii\[numero_secu\]"):
        raise_for_errors(report)

    cleaned, actions = apply_pii_policies(customers, report.pii, config, environ=ENV)
    assert {a.column: a.outcome for a in actions} == {
        "email": "dropped",
        "numero_secu": "kept",
        "telephone_fixe": "dropped",
        "last_login_ip": "hashed",
    }
    assert actions[0] == PiiAction("email", "email", "drop", "dropped")
    assert actions[0].to_dict()["policy"] == "drop"
    assert "email" not in cleaned and "telephone_fixe" not in cleaned
    assert "email" in customers  # the input frame is left as it was
    expected = hash_column(customers["last_login_ip"], SALT.encode())
    pd.testing.assert_series_equal(cleaned["last_login_ip"], expected)
    assert cleaned["last_login_ip"].str.fullmatch("[0-9a-f]{64}").all()
    assert cleaned["numero_secu"].equals(customers["numero_secu"])


def test_each_policy_can_be_chosen_per_type(customers: pd.DataFrame) -> None:
    config = _pii(default="warn", policies={"email": "hash", "nir": "drop", "phone_fr": "error"})
    report = run_checks(
        customers, target="creditability", task="classification", config=config, environ=ENV
    )
    pii = {r.column: r for r in report.results if r.name == "pii"}
    assert (pii["telephone_fixe"].severity, pii["telephone_fixe"].passed) == ("error", False)
    assert (pii["last_login_ip"].severity, pii["last_login_ip"].passed) == ("warn", False)
    assert pii["last_login_ip"] in report.warnings
    assert pii["numero_secu"].passed and pii["email"].passed
    assert report.pii is not None
    cleaned, actions = apply_pii_policies(customers, report.pii, config.pii, environ=ENV)
    assert {a.column: a.outcome for a in actions} == {
        "email": "hashed",
        "numero_secu": "dropped",
        "telephone_fixe": "kept",
        "last_login_ip": "kept",
    }
    assert "numero_secu" not in cleaned
    assert cleaned["email"].nunique() == customers["email"].nunique()  # equal stays equal


def test_hash_without_salt_is_a_config_error_that_says_how_to_set_it(
    customers: pd.DataFrame,
) -> None:
    config = _pii(policies={"email": "hash"}, salt_env="MY_PII_SALT")
    with pytest.raises(ConfigError, match="'MY_PII_SALT'") as error:
        run_checks(customers, target="creditability", task="classification", config=config,
                   environ={})  # fmt: skip
    text = str(error.value)
    assert "'email' (email)" in text and "export MY_PII_SALT=" in text and "secrets" in text
    _, pii_report = check_pii(customers[["email"]], PiiCheckConfig(), environ={})
    with pytest.raises(ConfigError, match="MY_PII_SALT"):
        apply_pii_policies(customers, pii_report, config, environ={})
    with pytest.raises(ConfigError, match="too short"):
        apply_pii_policies(customers, pii_report, config, environ={"MY_PII_SALT": "short"})


def test_pii_can_be_disabled_and_clean_data_passes(german: pd.DataFrame) -> None:
    report = run_checks(german, target="creditability", task="classification",
                        config=_pii(enabled=False))  # fmt: skip
    assert report.pii is None and "pii (disabled)" in report.skipped
    assert not [r for r in report.results if r.name == "pii"]
    results, pii_report = check_pii(german, PiiCheckConfig(), environ={})
    assert pii_report.pii_columns == {}
    assert [r.passed for r in results] == [True]
    assert "no column holds personal data" in results[0].message


def test_unknown_pii_type_in_policies_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown PII type"):
        PiiCheckConfig.model_validate({"policies": {"emial": "drop"}})
    with pytest.raises(ValueError, match="Input should be"):
        PiiCheckConfig.model_validate({"policies": {"email": "encrypt"}})


def test_external_source_needs_an_owner_and_a_licence() -> None:
    (result,) = check_sources(SourcesConfig(external=True, owner="data-team@acme"))
    assert not result.passed and result.severity == "warn"
    assert "no licence" in result.message and "data.checks.sources.licence" in result.message
    (result,) = check_sources(SourcesConfig(external=True))
    assert "no owner and no licence" in result.message
    complete = SourcesConfig(external=True, owner="UCI", licence="CC BY 4.0", refresh="never")
    (result,) = check_sources(complete)
    assert result.passed and result.details["licence"] == "CC BY 4.0"
    (result,) = check_sources(SourcesConfig())
    assert result.passed and "internal source" in result.message
