"""Per-column and table statistics on real data, checked against pandas and numpy directly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from boucle.data.profile import TableProfile, profile_table

NUMERIC = ["age", "fnlwgt", "education-num", "capital-gain", "capital-loss", "hours-per-week"]
QUANTILES = {"5%": 0.05, "25%": 0.25, "50%": 0.5, "75%": 0.75, "95%": 0.95}


def test_overview_matches_pandas(adult: pd.DataFrame, adult_profile: TableProfile) -> None:
    overview = adult_profile.overview
    assert (overview.rows, overview.columns) == (32_561, 15)
    assert overview.duplicate_rows == int(adult.duplicated().sum()) == 24
    assert overview.missing_cells == int(adult.isna().sum().sum()) == 4262
    assert overview.memory_bytes == int(adult.memory_usage(deep=True).sum())
    assert overview.kinds == {"numeric": 6, "categorical": 9}


@pytest.mark.parametrize("name", NUMERIC)
def test_numeric_columns_match_pandas(
    adult: pd.DataFrame, adult_profile: TableProfile, name: str
) -> None:
    column, values = adult_profile[name], adult[name]
    summary = column.summary
    assert summary is not None and column.kind == "numeric"
    assert (column.count, column.missing, column.distinct) == (len(values), 0, values.nunique())
    assert summary.mean == pytest.approx(values.mean(), rel=1e-12)
    assert summary.std == pytest.approx(values.std(), rel=1e-9)
    assert summary.skewness == pytest.approx(values.skew(), rel=1e-9)
    assert (summary.min, summary.max) == (values.min(), values.max())
    for label, q in QUANTILES.items():
        assert summary.quantiles[label] == pytest.approx(values.quantile(q), rel=1e-12)
    assert summary.zeros == int((values == 0).sum())
    assert column.histogram is not None
    assert sum(column.histogram.counts) == len(values)


def test_age_in_numbers(adult_profile: TableProfile) -> None:
    age = adult_profile["age"]
    assert age.summary is not None
    assert age.summary.mean == pytest.approx(38.581646755)
    assert age.summary.quantiles["50%"] == 37
    assert (age.summary.min, age.summary.max, age.distinct) == (17, 90, 73)


def test_histogram_is_numpys(adult: pd.DataFrame, adult_profile: TableProfile) -> None:
    for name in ("age", "fnlwgt", "hours-per-week"):
        histogram = adult_profile[name].histogram
        assert histogram is not None and len(histogram.counts) == 30
        counts, edges = np.histogram(adult[name], bins=30)
        assert list(histogram.counts) == counts.tolist()
        np.testing.assert_allclose(histogram.edges, edges)
    education = adult_profile["education-num"].histogram  # 16 integers: one bin each
    assert education is not None
    assert list(education.counts) == adult["education-num"].value_counts().sort_index().tolist()
    assert education.edges[0] == 0.5 and education.edges[-1] == 16.5


def test_categorical_columns_match_pandas(adult: pd.DataFrame, adult_profile: TableProfile) -> None:
    workclass = adult_profile["workclass"]
    assert workclass.kind == "categorical"
    assert workclass.missing == 1836
    assert workclass.top_values[0] == ("Private", 22_696)
    expected = adult["workclass"].value_counts()
    assert dict(workclass.top_values) == expected.to_dict()
    assert workclass.distinct == adult["workclass"].nunique() == 8
    country = adult_profile["native-country"]
    assert len(country.top_values) == 10
    assert country.top_values == tuple(adult["native-country"].value_counts().head(10).items())
    assert country.other_count == country.count - sum(n for _, n in country.top_values)
    assert country.missing == 583


def test_german_credit(german: pd.DataFrame, german_profile: TableProfile) -> None:
    overview = german_profile.overview
    assert (overview.rows, overview.columns, overview.duplicate_rows) == (1000, 21, 0)
    amount = german_profile["credit_amount"].summary
    assert amount is not None
    assert amount.mean == pytest.approx(german["credit_amount"].mean())
    assert amount.quantiles["95%"] == pytest.approx(german["credit_amount"].quantile(0.95))
    target = german_profile.target
    assert target is not None and target.task == "classification"
    assert dict(target.classes) == {"good": 700, "bad": 300}
    assert target.imbalance == pytest.approx(700 / 300)
    purpose = german["purpose"].value_counts()
    assert german_profile["purpose"].top_values[0] == (purpose.index[0], purpose.iloc[0])


def test_float_path_with_missing_and_infinite_values(adult: pd.DataFrame) -> None:
    hours = adult["hours-per-week"].astype("float64") / 7
    hours[::10] = np.nan
    hours[5] = np.inf
    frame = pd.DataFrame({"hours": hours})
    column = profile_table(frame, target=None, task=None)["hours"]
    finite = hours[np.isfinite(hours)]
    summary = column.summary
    assert summary is not None
    assert (column.missing, summary.infinite, column.count) == (3257, 1, len(finite))
    assert summary.mean == pytest.approx(finite.mean(), rel=1e-12)
    assert summary.std == pytest.approx(finite.std(), rel=1e-12)
    assert summary.quantiles["25%"] == pytest.approx(finite.quantile(0.25), rel=1e-12)
    assert "infinite values" in column.warnings


def test_integer_and_float_paths_agree(adult: pd.DataFrame) -> None:
    ages = adult["age"]
    frame = pd.DataFrame(
        {"int": ages, "float": ages.astype("float64"), "nullable": ages.astype("Int64")}
    )
    frame.loc[::7, "nullable"] = pd.NA
    profile = profile_table(frame, target=None, task=None)
    as_int, as_float = profile["int"].summary, profile["float"].summary
    assert as_int is not None and as_float is not None
    assert as_int.quantiles == pytest.approx(as_float.quantiles, rel=1e-12)
    assert as_int.mean == pytest.approx(as_float.mean, rel=1e-12)
    assert as_int.skewness == pytest.approx(as_float.skewness, rel=1e-9)
    nullable = profile["nullable"]
    assert nullable.missing == len(range(0, len(ages), 7))
    assert nullable.summary is not None
    assert nullable.summary.mean == pytest.approx(frame["nullable"].mean())
    assert profile.overview.duplicate_rows == int(frame.duplicated().sum())


def test_other_kinds_and_warnings() -> None:
    frame = pd.DataFrame(
        {
            "when": pd.to_datetime(["2024-01-01", "2024-03-01", None, "2024-02-01"], utc=True),
            "flag": [True, False, True, True],
            "tags": [["a"], ["b"], ["a"], None],
            "constant": [1, 1, 1, 1],
            "empty": [None, None, None, None],
            "id": ["a", "b", "c", "d"],
        }
    )
    profile = profile_table(frame, target=None, task=None)
    when = profile["when"]
    assert when.kind == "datetime" and when.time_range == (
        "2024-01-01T00:00:00",
        "2024-03-01T00:00:00",
    )
    assert (when.count, when.missing, when.distinct) == (3, 1, 3)
    assert profile["flag"].top_values == (("True", 3), ("False", 1))
    assert profile["tags"].top_values[0] == ("['a']", 2)
    assert "constant" in profile["constant"].warnings
    assert "all missing" in profile["empty"].warnings
    assert "unique" in profile["id"].warnings


def test_arrow_backed_columns_give_the_same_profile(
    adult_path: Path, adult_options: dict[str, Any], adult_profile: TableProfile
) -> None:
    frame = pd.read_csv(adult_path, **adult_options, dtype_backend="pyarrow")
    assert str(frame["age"].dtype) == "int64[pyarrow]"
    arrow = profile_table(frame, target="income", task="classification").to_dict()
    numpy = adult_profile.to_dict()
    for data in (arrow, numpy):
        data["overview"].pop("memory_bytes")
        for column in data["columns"]:
            column.pop("dtype")
    assert arrow == numpy
