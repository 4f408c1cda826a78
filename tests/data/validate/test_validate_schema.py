"""Schema inference, the YAML round trip, and failures reported per column with numbers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from boucle.data.validate import check_schema, infer_schema, load_schema, save_schema
from boucle.errors import ConfigError


@pytest.fixture(scope="module")
def adult_schema_file(adult: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    schema = infer_schema(adult, target="income")
    return save_schema(schema, tmp_path_factory.mktemp("schema") / "conf" / "schema.yaml")


def test_inferred_adult_schema_round_trips_and_accepts_its_data(
    adult: pd.DataFrame, adult_schema_file: Path
) -> None:
    text = adult_schema_file.read_text(encoding="utf-8")
    assert text.startswith("# Data schema for boucle")
    content = yaml.safe_load(text)
    columns = content["columns"]
    assert list(columns) == list(adult.columns)
    assert columns["age"]["in_range"]["min_value"] == 17
    assert columns["age"]["in_range"]["max_value"] == 90
    assert "Private" in columns["workclass"]["isin"]
    assert columns["workclass"]["nullable"] is True  # adult holds '?' in workclass
    assert "isin" in columns["native-country"]  # 41 countries, under max_categories 50
    assert columns["income"]["description"].startswith("target")
    assert "index" not in content  # row labels are not part of the contract

    loaded = load_schema(adult_schema_file)
    assert loaded == infer_schema(adult, target="income")
    results = check_schema(adult, loaded)
    assert len(results) == 1 and results[0].passed, results
    assert results[0].details == {"columns": 15}


def test_every_failure_is_reported_at_once_with_counts_and_examples(
    adult: pd.DataFrame, adult_schema_file: Path
) -> None:
    schema = load_schema(adult_schema_file)
    bad = adult.drop(columns=["race"])
    bad.loc[:9, "workclass"] = "Martian"  # 10 rows of an unseen category
    bad.loc[10:12, "workclass"] = "Venusian"  # and 3 of another
    bad.loc[20:26, "age"] = [120, 130, 140, 150, 160, 170, 180]  # 7 ages above 90
    bad.loc[27, "age"] = 3  # and one below 17
    bad["hours-per-week"] = bad["hours-per-week"].astype("float64")  # dtype changed
    bad.loc[30, "education"] = np.nan  # null in a column the schema says is never null

    results = check_schema(bad, schema)
    by_column = {r.column: r for r in results}
    assert all(not r.passed and r.severity == "error" and r.name == "schema" for r in results)
    assert set(by_column) == {"race", "workclass", "age", "hours-per-week", "education"}

    assert "missing" in by_column["race"].message

    unseen = by_column["workclass"]
    assert unseen.details["count"] == 13
    assert unseen.details["unseen_categories"] == 2
    assert unseen.details["examples"] == {"Martian": 10, "Venusian": 3}
    assert "13 rows" in unseen.message and "'Martian' (10)" in unseen.message

    ages = by_column["age"]
    assert ages.details["count"] == 8
    assert ages.details["allowed"] == {"min": 17, "max": 90}
    assert ages.details["observed"] == [3, 180]
    assert len(ages.details["examples"]) == 5
    assert set(ages.details["examples"]) <= {3, 120, 130, 140, 150, 160, 170, 180}
    assert "8 values" in ages.message and "outside [17, 90]" in ages.message

    dtype = by_column["hours-per-week"]
    assert dtype.details["expected"] == "int64" and dtype.details["actual"] == "float64"
    assert "float64" in dtype.message and "int64" in dtype.message

    nulls = by_column["education"]
    assert nulls.details["check"] == "not_nullable" and nulls.details["count"] == 1

    for result in results:  # one readable line each, no pandera traceback
        assert "\n" not in result.message and "Traceback" not in result.message
        assert "SchemaError" not in result.message


def test_a_wrong_dtype_hides_the_checks_that_cannot_run(adult: pd.DataFrame) -> None:
    schema = infer_schema(adult[["age", "income"]], target="income")
    bad = adult[["age", "income"]].astype({"age": "str"})
    results = check_schema(bad, schema, severity="warn")
    assert [r.column for r in results] == ["age"]
    assert results[0].severity == "warn"
    assert results[0].details["actual"] == "str"
    assert results[0].details["checks_not_run"] == ["in_range(17, 90)"]


def test_hand_edited_schema_is_honoured(adult: pd.DataFrame, tmp_path: Path) -> None:
    path = save_schema(infer_schema(adult, target="income"), tmp_path / "schema.yaml")
    content = yaml.safe_load(path.read_text(encoding="utf-8"))
    content["columns"]["age"]["in_range"]["max_value"] = 80  # the user narrows a range
    content["columns"]["sex"]["isin"] = ["Female"]  # and restricts a category
    path.write_text(yaml.safe_dump(content, sort_keys=False), encoding="utf-8")
    results = check_schema(adult, load_schema(path))
    by_column = {r.column: r for r in results}
    assert by_column["age"].details["count"] == int((adult["age"] > 80).sum())
    assert by_column["sex"].details["examples"] == {"Male": int((adult["sex"] == "Male").sum())}


def test_schema_errors_name_the_file_and_the_fix(adult: pd.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist") as missing:
        load_schema(tmp_path / "nope.yaml")
    assert "infer_schema" in str(missing.value)
    broken = tmp_path / "broken.yaml"
    broken.write_text("columns: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not readable YAML"):
        load_schema(broken)
    broken.write_text("just a string\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="no 'columns' mapping"):
        load_schema(broken)
    broken.write_text("columns:\n  age:\n    dtype: int64\n    in_rnage: [1, 2]\n")
    with pytest.raises(ConfigError, match="unknown key 'in_rnage'"):
        load_schema(broken)
    broken.write_text("columns:\n  age:\n    dtype: no_such_type\n")
    with pytest.raises(ConfigError, match="valid pandera schema"):
        load_schema(broken)
    with pytest.raises(ConfigError, match="'incme' is not a column") as target:
        infer_schema(adult, target="incme")
    assert "income" in str(target.value)


def test_inference_covers_floats_booleans_dates_and_free_text() -> None:
    frame = pd.DataFrame(
        {
            "ratio": [0.5, 1.5, np.nan, 2.25],
            "flag": [True, False, True, True],
            "day": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01"]),
            "note": ["a", "b", "c", "d"],
            "y": ["p", "q", "p", "q"],
        }
    )
    schema = infer_schema(frame, target="y", max_categories=3)
    assert schema.columns["ratio"].nullable
    assert [c.statistics for c in schema.columns["ratio"].checks] == [
        {"min_value": 0.5, "max_value": 2.25, "include_min": True, "include_max": True}
    ]
    assert schema.columns["flag"].checks == []
    assert schema.columns["note"].checks == []  # 4 values > max_categories 3
    assert check_schema(frame, schema)[0].passed
    later = frame.assign(day=pd.to_datetime(["2025-01-01"] * 4))
    (result,) = check_schema(later, schema)
    assert result.column == "day" and result.details["count"] == 4
