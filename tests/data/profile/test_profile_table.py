"""profile_table's contract: clear errors, strict JSON, deterministic, thread-count independent."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from boucle.data.profile import TableProfile, profile_table
from boucle.errors import DataError
from boucle.hashing import hash_json


def test_to_dict_is_strict_json(adult_profile: TableProfile) -> None:
    data = adult_profile.to_dict()
    text = json.dumps(data, allow_nan=False)
    assert json.loads(text) == data
    assert set(data) == {"overview", "columns", "correlations", "target"}
    age = data["columns"][0]
    assert age["name"] == "age" and age["summary"]["quantiles"]["50%"] == 37
    assert data["columns"][1]["top_values"][0] == {"value": "Private", "count": 22_696}
    assert data["target"]["classes"][0] == {"value": "<=50K", "count": 24_720}
    assert data["overview"]["duplicate_rows"] == 24


def test_profiles_are_deterministic_whatever_the_threads(adult: pd.DataFrame) -> None:
    one = profile_table(adult, target="income", task="classification", workers=1)
    two = profile_table(adult, target="income", task="classification", workers=4)
    assert hash_json(one.to_dict()) == hash_json(two.to_dict())


def test_regression_target(german: pd.DataFrame) -> None:
    profile = profile_table(german, target="credit_amount", task="regression")
    target = profile.target
    assert target is not None and target.task == "regression"
    assert target.histogram == profile["credit_amount"].histogram
    assert target.classes == ()
    assert {method for _, method, _ in target.associations} == {"abs_spearman", "correlation_ratio"}


def test_numeric_classification_target_is_profiled_as_classes(german: pd.DataFrame) -> None:
    frame = german.assign(label=(german["creditability"] == "good").astype(int))
    profile = profile_table(frame, target="label", task="classification")
    assert profile["label"].kind == "categorical"
    assert profile.target is not None and dict(profile.target.classes) == {"1": 700, "0": 300}


def test_column_names_become_strings() -> None:
    profile = profile_table(
        pd.DataFrame({0: [1, 2, 3], 1: ["a", "b", "a"]}), target=None, task=None
    )
    assert [column.name for column in profile.columns] == ["0", "1"]


@pytest.mark.parametrize(
    ("frame", "kwargs", "message"),
    [
        (pd.DataFrame(), {}, r"cannot profile an empty table \(0 rows, 0 columns\)"),
        (pd.DataFrame({"a": []}), {}, "empty table"),
        (pd.DataFrame([[1, 2]], columns=["a", "a"]), {}, "column names are repeated: a"),
        (pd.DataFrame({"age": [1]}), {"target": "incme", "task": "classification"},
         r"target 'incme' is not a column of the table\. Columns: age"),
        (pd.DataFrame({"age": [1]}), {"target": "age", "task": None}, "task None is not"),
        (pd.DataFrame({"y": ["a"]}), {"target": "y", "task": "regression"},
         "regression target 'y' is categorical, not numeric"),
        (pd.DataFrame({"a": [1]}), {"sample_rows_for_correlation": 1}, "too small"),
    ],
)  # fmt: skip
def test_bad_input_is_a_data_error(
    frame: pd.DataFrame, kwargs: dict[str, object], message: str
) -> None:
    arguments: dict[str, object] = {"target": None, "task": None, **kwargs}
    with pytest.raises(DataError, match=message) as caught:
        profile_table(frame, **arguments)  # type: ignore[arg-type]
    assert caught.value.hint
