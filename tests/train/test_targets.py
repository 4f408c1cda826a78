"""Target encoding on the real Adult and German credit targets, and every DataError it raises."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from boucle.errors import DataError
from boucle.train.targets import encode_target


def test_binary_target_maps_positive_class_to_one(adult: pd.DataFrame) -> None:
    encoding = encode_target(adult["income"], "classification", ">50K")
    assert encoding.kind == "binary"
    assert encoding.classes == ["<=50K", ">50K"]
    assert encoding.positive_class == ">50K"
    assert encoding.y.dtype == np.int64
    assert int(encoding.y.sum()) == int((adult["income"] == ">50K").sum()) == 7841
    assert encoding.dropped_missing == 0
    assert encoding.decode([1, 0]) == [">50K", "<=50K"]


def test_binary_without_positive_class_picks_the_minority(german: pd.DataFrame) -> None:
    encoding = encode_target(german["creditability"], "classification", None)
    assert encoding.positive_class == "bad"  # 300 bad against 700 good
    assert encoding.classes == ["good", "bad"]
    assert int(encoding.y.sum()) == 300


def test_binary_tie_picks_the_sorted_last_class() -> None:
    encoding = encode_target(pd.Series(["no", "yes", "yes", "no"]), "classification", None)
    assert encoding.positive_class == "yes"


def test_missing_targets_are_dropped_and_counted(adult: pd.DataFrame) -> None:
    # workclass has 1,836 missing values in Adult.
    encoding = encode_target(adult["workclass"], "classification", None)
    assert encoding.dropped_missing == 1836
    assert len(encoding.y) == len(adult) - 1836
    assert encoding.keep.sum() == len(encoding.y)
    assert not adult["workclass"][encoding.keep].isna().any()


def test_multiclass_codes_follow_sorted_labels(adult: pd.DataFrame) -> None:
    encoding = encode_target(adult["race"], "classification", None)
    assert encoding.kind == "multiclass"
    assert encoding.classes == sorted(adult["race"].unique())
    assert encoding.positive_class is None
    white = encoding.classes.index("White")
    assert int((encoding.y == white).sum()) == 27816


def test_numeric_class_labels_lose_float_widening() -> None:
    y = pd.Series([0.0, 1.0, None, 1.0, 0.0])  # ints widened to float by the missing value
    encoding = encode_target(y, "classification", "1")
    assert encoding.classes == ["0", "1"]
    assert encoding.y.tolist() == [0, 1, 1, 0]


def test_regression_target_is_float(adult: pd.DataFrame) -> None:
    encoding = encode_target(adult["hours-per-week"], "regression", None)
    assert encoding.kind == "regression"
    assert encoding.classes is None
    assert encoding.y.dtype == np.float64
    assert encoding.y.mean() == pytest.approx(adult["hours-per-week"].mean())


def test_absent_positive_class_lists_values_and_suggests_the_closest(adult: pd.DataFrame) -> None:
    with pytest.raises(DataError) as info:
        encode_target(adult["income"], "classification", ">50k")
    message = str(info.value)
    assert "'>50k' is not a value of target 'income'" in message
    assert "'<=50K', '>50K'" in message
    assert "Did you mean '>50K'?" in message


def test_single_class_target_is_refused(adult: pd.DataFrame) -> None:
    men = adult.loc[adult["sex"] == "Male", "sex"]
    with pytest.raises(DataError, match=r"'sex' has a single class 'Male' \(21790 non-missing"):
        encode_target(men, "classification", None)


def test_positive_class_with_more_than_two_classes_is_refused(adult: pd.DataFrame) -> None:
    with pytest.raises(DataError, match="'White' was given but target 'race' has 5 classes"):
        encode_target(adult["race"], "classification", "White")


def test_non_numeric_regression_target_quotes_bad_values(adult: pd.DataFrame) -> None:
    with pytest.raises(DataError) as info:
        encode_target(adult["income"], "regression", None)
    message = str(info.value)
    assert "Regression target 'income' has 32561 non-numeric values" in message
    assert "'<=50K'" in message and "'>50K'" in message
    assert "classification" in message


def test_mixed_regression_target_names_only_the_bad_values() -> None:
    y = pd.Series(["1.5", "2", "n/a", "3"], name="price")
    with pytest.raises(DataError, match=r"'price' has 1 non-numeric values, e.g. 'n/a'"):
        encode_target(y, "regression", None)


def test_all_missing_target_is_refused() -> None:
    with pytest.raises(DataError, match="'y' has no non-missing values"):
        encode_target(pd.Series([None, None], name="y", dtype=object), "classification", None)


def test_too_many_classes_suggests_regression(adult: pd.DataFrame) -> None:
    with pytest.raises(DataError, match="set the task to regression"):
        encode_target(adult["fnlwgt"], "classification", None)
