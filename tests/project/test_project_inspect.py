"""Guesses made before writing boucle.yaml: task, positive class, sensitive columns by name."""

from __future__ import annotations

import pandas as pd
import pytest

from boucle.errors import ConfigError, DataError
from boucle.project.inspect import guess_task, inspect_table, suggest_sensitive


def test_german_credit_is_binary_classification_with_three_sensitive_columns(
    german: pd.DataFrame,
) -> None:
    found = inspect_table(german, "creditability")
    assert found.task == "classification" and found.rows == 1000
    assert found.classes == ["bad", "good"]
    assert found.positive_class == "bad"  # the minority class (300 of 1000)
    assert [(s.column, s.reason) for s in found.sensitive] == [
        ("personal_status_and_sex", "sex"),
        ("age_in_years", "age"),
        ("foreign_worker", "national origin"),
    ]
    assert "credit_amount" in found.numeric and "creditability" not in found.numeric


def test_adult_columns_suggest_the_protected_characteristics(adult: pd.DataFrame) -> None:
    found = inspect_table(adult, "income")
    assert [s.column for s in found.sensitive] == [
        "age", "marital-status", "race", "sex", "native-country",
    ]  # fmt: skip
    assert found.positive_class == ">50K"


def test_names_are_matched_word_by_word() -> None:
    names = [
        "percentage", "mortgage_rate", "Average", "usage", "wage",  # contain 'age', are not age
        "maritalStatus", "DateOfBirth", "ETHNICITY", "religion_code", "is_disabled", "Gender",
    ]  # fmt: skip
    assert [s.column for s in suggest_sensitive(names)] == [
        "maritalStatus", "DateOfBirth", "ETHNICITY", "religion_code", "is_disabled", "Gender",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("values", "task"),
    [
        (["yes", "no", "yes"], "classification"),
        ([True, False, True], "classification"),
        ([0, 1, 1, 0], "classification"),
        ([1, 2, 3, 4, 5], "classification"),  # few whole values: classes
        ([0.5, 1.5, 2.0], "regression"),
        (list(range(100)), "regression"),  # many whole values: a quantity
    ],
)
def test_guess_task(values: list[object], task: str) -> None:
    assert guess_task(pd.Series(values))[0] == task


def test_template_overrides_the_guess_and_says_so() -> None:
    frame = pd.DataFrame({"x": range(40), "y": [1, 2, 3, 4] * 10})
    found = inspect_table(frame, "y", task="regression")
    assert found.task == "regression" and "--template regression" in found.task_reason
    assert found.positive_class is None


def test_bad_targets_are_explained(german: pd.DataFrame) -> None:
    with pytest.raises(ConfigError, match="not a column") as caught:
        inspect_table(german, "credibility")
    assert "creditability" in (caught.value.hint or "")
    with pytest.raises(DataError, match="cannot be the target of a regression"):
        inspect_table(german, "creditability", task="regression")
    with pytest.raises(DataError, match="holds no value"):
        inspect_table(pd.DataFrame({"x": [1, 2], "y": [None, None]}), "y")
