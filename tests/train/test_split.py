"""Train/test split: reproducible, stratified for classes, clear errors when it cannot be."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from boucle.errors import DataError
from boucle.train.split import split_table
from boucle.train.targets import encode_target


def test_split_is_stratified_and_reproducible(german: pd.DataFrame) -> None:
    encoding = encode_target(german["creditability"], "classification", "bad")
    X = german.drop(columns=["creditability"])
    first = split_table(X, encoding.y, test_size=0.2, seed=7, stratify=True)
    again = split_table(X, encoding.y, test_size=0.2, seed=7, stratify=True)
    other = split_table(X, encoding.y, test_size=0.2, seed=8, stratify=True)
    assert first.stratified
    assert len(first.X_test) == len(first.y_test) == 200
    assert len(first.X_train) == 800
    assert first.y_test.mean() == pytest.approx(0.3)  # the class balance is kept
    np.testing.assert_array_equal(first.test_positions, again.test_positions)
    assert not np.array_equal(first.test_positions, other.test_positions)
    # Positions and rows agree, and train and test partition the table.
    pd.testing.assert_frame_equal(first.X_test, X.iloc[first.test_positions])
    assert sorted(np.concatenate([first.train_positions, first.test_positions])) == list(
        range(len(X))
    )


def test_regression_target_is_never_stratified(adult_sample: pd.DataFrame) -> None:
    encoding = encode_target(adult_sample["hours-per-week"], "regression", None)
    split = split_table(adult_sample, encoding.y, test_size=0.25, seed=0, stratify=True)
    assert not split.stratified
    assert len(split.y_test) == 375


def test_rare_class_names_the_class_and_suggests_no_stratify() -> None:
    y = pd.Series(["a"] * 10 + ["b"] * 10 + ["c"])
    encoding = encode_target(y, "classification", None)
    X = pd.DataFrame({"x": range(len(y))})
    with pytest.raises(DataError) as info:
        split_table(X, encoding.y, test_size=0.3, seed=0, stratify=True, classes=encoding.classes)
    message = str(info.value)
    assert "class 'c' (1 row) has fewer than 2 rows" in message
    assert "stratify: false" in message
    unstratified = split_table(X, encoding.y, test_size=0.3, seed=0, stratify=False)
    assert len(unstratified.y_test) == 7


def test_test_part_too_small_for_the_classes(adult_sample: pd.DataFrame) -> None:
    encoding = encode_target(adult_sample["relationship"], "classification", None)
    X = adult_sample.head(40)
    with pytest.raises(DataError, match=r"Cannot stratify 5 classes into a test part of 2 rows"):
        split_table(X, encoding.y[:40], test_size=0.05, seed=0, stratify=True)


def test_misaligned_rows_and_bad_test_size(german: pd.DataFrame) -> None:
    y = np.zeros(10, dtype=np.int64)
    with pytest.raises(DataError, match="1000 rows but the target has 10"):
        split_table(german, y, test_size=0.2, seed=0, stratify=False)
    with pytest.raises(DataError, match=r"test_size 1.5 is not a fraction"):
        split_table(german.head(10), y, test_size=1.5, seed=0, stratify=False)
