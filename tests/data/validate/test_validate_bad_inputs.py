"""The data gate on bad inputs: odd columns, one row, and a schema the data has drifted from."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from boucle.data.validate import (
    CheckResult,
    check_schema,
    infer_schema,
    load_schema,
    run_checks,
    save_schema,
)

ODD_NAMES = ("with spaces", "âge é 名前", "=cmd|' /C calc'!A0", "+SUM(A1)", "-2+3", "@attr",
             "<script>alert(1)</script>")  # fmt: skip


def _failed(results: Sequence[CheckResult]) -> dict[tuple[str, str | None], str]:
    return {(r.name, r.column): r.message for r in results if not r.passed}


def test_all_nan_and_mixed_columns_are_reported_not_crashed() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({
        "x": rng.normal(size=90),
        "all_nan": np.nan,
        "mixed": pd.Series([1, "two", None] * 30, dtype=object),
        "y": rng.integers(0, 2, 90),
    })  # fmt: skip
    failed = _failed(run_checks(frame, target="y", task="classification").results)
    assert "100.0% of values are missing (90 of 90)" in failed["missing", "all_nan"]
    assert "only null values" in failed["constant", "all_nan"]
    assert not [key for key in failed if key[1] == "mixed"]  # 1/3 missing, 2 values: fine


def test_one_row_table_says_the_target_has_one_class() -> None:
    frame = pd.DataFrame({"x": [1.0], "all_nan": [np.nan], "mixed": ["a"], "y": [0]})
    failed = _failed(run_checks(frame, target="y", task="classification").results)
    assert "holds 1 class" in failed["label_balance", "y"]
    assert "single value in all 1 rows" in failed["constant", "x"]


def test_odd_column_names_survive_the_schema_file(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({name: rng.integers(0, 5, 40) for name in ODD_NAMES})
    frame["y"] = rng.integers(0, 2, 40)
    schema = load_schema(save_schema(infer_schema(frame, target="y"), tmp_path / "s.yaml"))
    assert list(schema.columns) == list(frame.columns)
    [result] = check_schema(frame, schema)
    assert result.passed
    frame.loc[0, "=cmd|' /C calc'!A0"] = 99  # a failure is reported under the exact name
    report = run_checks(frame, target="y", task="classification", schema=schema)
    message = _failed(report.results)["schema", "=cmd|' /C calc'!A0"]
    assert message == "1 values (2.50%) outside [0, 4] (all 99), e.g. 99"


@pytest.fixture
def drifted(german: pd.DataFrame, tmp_path: Path) -> dict[str | None, list[str]]:
    """Messages per column after a rename, a dtype change and a new category."""
    path = save_schema(infer_schema(german, target="creditability"), tmp_path / "schema.yaml")
    frame = german.rename(columns={"age_in_years": "age"})
    frame["credit_amount"] = frame["credit_amount"].astype("float64")
    frame["housing"] = frame["housing"].where(frame.index >= 3, "houseboat")
    messages: dict[str | None, list[str]] = {}
    for result in check_schema(frame, load_schema(path)):
        assert not result.passed
        messages.setdefault(result.column, []).append(result.message)
    return messages


def test_schema_drift_names_each_change(drifted: dict[str | None, list[str]]) -> None:
    assert set(drifted) == {"age_in_years", "credit_amount", "housing"}
    assert drifted["age_in_years"] == ["column 'age_in_years' is missing (the schema requires it)"]
    assert drifted["credit_amount"] == ["dtype is float64, the schema expects int64"]
    [housing] = drifted["housing"]
    assert housing == "3 rows (0.30%) hold 1 category not in the schema: 'houseboat' (3)"
