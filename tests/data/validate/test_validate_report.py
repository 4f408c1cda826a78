"""The whole gate on real data: the report, validation.json, severities and raise_for_errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from boucle.data.validate import (
    ChecksConfig,
    ValidationReport,
    infer_schema,
    raise_for_errors,
    run_checks,
)
from boucle.errors import ConfigError, DataError
from boucle.hashing import canonical_json

SENSITIVE = ["race", "sex", "age"]


def _broken(adult: pd.DataFrame) -> pd.DataFrame:
    """A sample of adult with a schema failure, a leak and a constant column."""
    frame = adult.sample(4000, random_state=1).reset_index(drop=True)
    frame.loc[:4, "workclass"] = "Martian"
    frame["leak"] = (frame["income"] == ">50K").astype(int) * 3
    frame["source_id"] = 7
    return frame


def test_adult_passes_the_gate_and_the_report_is_json(adult: pd.DataFrame) -> None:
    schema = infer_schema(adult, target="income")
    train = adult.sample(frac=0.8, random_state=0).index
    report = run_checks(adult, target="income", task="classification", sensitive=SENSITIVE,
                        config=ChecksConfig(), schema=schema, train_index=train)  # fmt: skip
    assert report.passed and report.failed_errors == []
    assert [r.label for r in report.warnings] == ["representation[race]"]
    names = [r.name for r in report.results]
    assert names[:7] == ["schema", "missing", "duplicates", "constant", "high_cardinality",
                         "label_balance", "leakage"]  # fmt: skip
    assert names.count("representation") == 3 and names.count("representation_split") == 3
    assert names[-2:] == ["pii", "sources"]
    raise_for_errors(report)  # warnings never raise
    leakage = next(r for r in report.results if r.name == "leakage")
    assert 0.7 < leakage.details["top"]["relationship"] < 0.85  # informative, not leaked

    data = report.to_dict()
    canonical_json(data)  # no NaN, no numpy scalar, nothing JSON cannot hold
    assert json.loads(json.dumps(data)) == data
    assert data["passed"] is True and data["rows"] == 32_561 and data["columns"] == 15
    assert data["counts"] == {"checks": len(report.results), "errors": 0, "warnings": 1}
    assert data["pii"]["pii_columns"] == {}
    assert data["sources"] == {"owner": None, "licence": None, "refresh": None, "external": False}
    race = next(r for r in data["results"] if r["name"] == "representation")
    assert race["details"]["groups"]["Other"]["count"] == 271

    summary = report.summary()
    assert summary.splitlines()[0].startswith("data validation passed: 15 checks on 32561 rows")
    assert "! representation[race]:" in summary


def test_raise_for_errors_lists_every_failed_error_check(adult: pd.DataFrame) -> None:
    frame = _broken(adult)
    schema = infer_schema(adult, target="income")
    config = ChecksConfig.model_validate(
        {"constant": {"severity": "error"}, "representation": {"severity": "error"}}
    )
    report = run_checks(frame, target="income", task="classification", sensitive=["race"],
                        config=config, schema=schema)  # fmt: skip
    assert not report.passed
    labels = [r.label for r in report.failed_errors]
    assert labels == ["schema[workclass]", "constant[source_id]", "leakage[leak]",
                      "representation[race]"]  # fmt: skip
    with pytest.raises(DataError) as error:
        raise_for_errors(report)
    text = str(error.value)
    assert text.startswith("data validation failed: 4 error check(s) on 4000 rows:")
    lines = [line for line in text.splitlines() if line.startswith("  - ")]
    assert [line.split(":")[0].strip(" -") for line in lines] == labels
    assert "5 rows (0.12%) hold 1 category not in the schema: 'Martian' (5)" in text
    assert "ROC-AUC 1.000" in text and "'Other'" in text
    assert "data.checks" in text and "severity 'warn'" in text
    assert "FAILED" in report.summary() and "x leakage[leak]" in report.summary()


def test_severity_off_skips_and_warn_never_raises(adult: pd.DataFrame) -> None:
    frame = _broken(adult)
    schema = infer_schema(adult, target="income")
    off = ChecksConfig.model_validate(
        {name: {"severity": "off"} for name in ("schema", "constant", "leakage", "missing")}
    )
    report = run_checks(frame, target="income", task="classification", config=off, schema=schema)
    names = {r.name for r in report.results}
    assert not names & {"schema", "constant", "leakage", "missing"}
    assert {"schema (severity off)", "leakage (severity off)"} <= set(report.skipped)
    assert "representation (no sensitive columns)" in report.skipped
    raise_for_errors(report)

    warn = ChecksConfig.model_validate(
        {name: {"severity": "warn"} for name in ("schema", "constant", "leakage")}
    )
    report = run_checks(frame, target="income", task="classification", config=warn, schema=schema)
    assert report.passed and report.failed_errors == []
    assert {r.label for r in report.warnings} >= {"schema[workclass]", "leakage[leak]"}
    raise_for_errors(report)


def test_calls_that_cannot_be_checked_say_why(german: pd.DataFrame) -> None:
    with pytest.raises(ConfigError, match="'credit' is not a column") as error:
        run_checks(german, target="credit", task="classification")
    assert "creditability" in str(error.value)
    with pytest.raises(ConfigError, match="'forecast' is not one of"):
        run_checks(german, target="creditability", task="forecast")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="'gender', not columns"):
        run_checks(german, target="creditability", task="classification", sensitive=["gender"])
    with pytest.raises(ConfigError, match="must be a list"):
        run_checks(german, target="creditability", task="classification", sensitive="sex")
    with pytest.raises(ConfigError, match="regression needs a numeric target"):
        run_checks(german, target="creditability", task="regression")
    twice = pd.concat([german, german[["purpose"]]], axis=1)
    with pytest.raises(DataError, match="'purpose' appear more than once"):
        run_checks(twice, target="creditability", task="classification")
    with pytest.raises(DataError, match="empty"):
        run_checks(german.iloc[:0], target="creditability", task="classification")
    with pytest.raises(DataError, match="needs a pandas DataFrame"):
        run_checks(german.to_dict(), target="creditability", task="classification")  # type: ignore[arg-type]


def test_report_values_are_plain_json() -> None:
    frame = pd.DataFrame(
        {
            "when": pd.to_datetime(["2024-01-01", "2024-01-02"] * 60),
            "x": np.arange(120, dtype=np.int32),
            "y": ["a", "b"] * 60,
        }
    )
    report = run_checks(frame, target="y", task="classification")
    assert isinstance(report, ValidationReport)
    canonical_json(report.to_dict())
    assert report.duration_s > 0
