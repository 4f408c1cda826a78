"""Quality checks fire on constructed bad data, and stay quiet on the real datasets."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pytest

from boucle.config.checks import LeakageCheckConfig
from boucle.data.validate import CheckResult, ChecksConfig, run_checks
from boucle.data.validate.leakage import feature_scores


def _failed(results: Sequence[CheckResult], name: str) -> dict[str | None, CheckResult]:
    return {r.column: r for r in results if r.name == name and not r.passed}


@pytest.fixture(scope="module")
def bad_adult(adult: pd.DataFrame) -> pd.DataFrame:
    """Adult with every quality problem at once."""
    rng = np.random.default_rng(7)
    frame = adult.sample(5000, random_state=0).reset_index(drop=True)
    rows = len(frame)
    frame["survey_year"] = 1994  # constant
    frame["empty"] = np.nan  # only nulls
    gaps = frame["hours-per-week"].astype("float64")
    gaps[rng.random(rows) < 0.6] = np.nan  # ~60% missing
    frame["hours_gappy"] = gaps
    frame["customer_ref"] = [f"C-{i:07d}" for i in rng.permutation(rows)]  # id-like text
    frame["approved"] = frame["income"].map({"<=50K": "no", ">50K": "yes"})  # leaked target
    return pd.concat([frame, frame.iloc[:500]], ignore_index=True)  # 500 repeated rows (9.1%)


def test_every_quality_problem_is_found_at_once(bad_adult: pd.DataFrame) -> None:
    report = run_checks(bad_adult, target="income", task="classification", sensitive=[])
    results = report.results

    duplicates = _failed(results, "duplicates")[None]
    assert duplicates.details["duplicated_rows"] == 500
    assert duplicates.details["share"] > 0.05

    assert set(_failed(results, "constant")) == {"survey_year", "empty"}
    assert "single value" in _failed(results, "constant")["survey_year"].message

    missing = _failed(results, "missing")
    assert set(missing) == {"hours_gappy", "empty"}
    share = missing["hours_gappy"].details["share"]
    assert 0.57 < share < 0.63

    high = _failed(results, "high_cardinality")
    assert set(high) == {"customer_ref"}
    assert high["customer_ref"].details["distinct"] == 5000  # 500 of 5500 rows repeated

    leaks = _failed(results, "leakage")
    assert set(leaks) == {"approved"}
    leak = leaks["approved"]
    assert leak.severity == "error" and leak.details["score"] == 1.0
    assert "ROC-AUC 1.000" in leak.message
    # An id is memorised in no fold: it scores as chance, not as a leak (repeated rows aside).
    scores, _ = feature_scores(
        bad_adult.drop_duplicates(),
        target="income",
        task="classification",
        config=LeakageCheckConfig(),
    )
    assert scores["customer_ref"] == pytest.approx(0.5, abs=0.05)
    assert report.failed_errors == [leak]  # the others are warnings by default


def test_german_credit_passes_the_quality_checks(german: pd.DataFrame) -> None:
    # adult is run whole in test_validate_report.py
    report = run_checks(german, target="creditability", task="classification")
    assert [r for r in report.results if not r.passed] == [], report.summary()
    leakage = next(r for r in report.results if r.name == "leakage")
    best = leakage.details["top"]["status_of_existing_checking_account"]
    assert 0.65 < best < 0.75  # informative, far from a leak


def test_regression_leakage_finds_a_rescaled_copy(german: pd.DataFrame) -> None:
    frame = german.copy()
    frame["amount_in_k"] = frame["credit_amount"] / 1000 + 0.5
    # A recoding into 50 quantile bands (text): what a category learns out of fold.
    frame["amount_band"] = pd.qcut(frame["credit_amount"], 50).astype(str)
    report = run_checks(frame, target="credit_amount", task="regression")
    leaks = _failed(report.results, "leakage")
    assert set(leaks) == {"amount_in_k", "amount_band"}
    assert leaks["amount_in_k"].details["score"] == pytest.approx(1.0)
    assert "R² 1.000" in leaks["amount_in_k"].message
    assert "label_balance (regression)" in report.skipped


def test_multiclass_leakage_and_label_balance(adult: pd.DataFrame) -> None:
    frame = adult[["age", "education-num", "hours-per-week", "race"]].copy()
    frame["race_code"] = frame["race"].map(lambda r: f"code-{len(r)}-{r[:2]}")
    report = run_checks(frame, target="race", task="classification")
    assert set(_failed(report.results, "leakage")) == {"race_code"}
    balance = next(r for r in report.results if r.name == "label_balance")
    assert balance.passed is False and balance.column == "race"
    assert balance.details["rare_classes"] == ["Amer-Indian-Eskimo", "Other"]
    assert balance.details["classes"]["Other"] == {"count": 271, "share": 0.008323}
    assert "'Other' 0.83% (271 rows)" in balance.message


def _only(name: str, **settings: object) -> ChecksConfig:
    """A config running the check ``name`` alone (every other check off)."""
    sections = ("missing", "duplicates", "constant", "high_cardinality", "leakage",
                "label_balance", "representation", "sources")  # fmt: skip
    data: dict[str, object] = {s: {"severity": "off"} for s in sections if s != name}
    data[name] = settings
    return ChecksConfig.model_validate({**data, "pii": {"enabled": False}})


def test_label_balance_thresholds(adult: pd.DataFrame) -> None:
    positives = adult[adult["income"] == ">50K"].head(40)
    frame = pd.concat([adult[adult["income"] == "<=50K"], positives], ignore_index=True)
    strict = _only("label_balance", min_share=0.01)
    report = run_checks(frame, target="income", task="classification", config=strict)
    (result,) = [r for r in report.results if r.name == "label_balance"]
    assert not result.passed and result.details["classes"][">50K"]["count"] == 40
    loose = _only("label_balance", min_share=0.001)
    report = run_checks(frame, target="income", task="classification", config=loose)
    assert next(r for r in report.results if r.name == "label_balance").passed
    one_class = frame[frame["income"] == "<=50K"]
    report = run_checks(one_class, target="income", task="classification", config=strict)
    (single,) = [r for r in report.results if r.name == "label_balance"]
    assert not single.passed and "needs two or more" in single.message
