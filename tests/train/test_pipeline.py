"""The preprocessor: columns routed by dtype, encoders chosen by model, names reported."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from boucle.errors import DataError
from boucle.train.pipeline import build_preprocessor, classify_columns


def test_adult_columns_are_classified(adult: pd.DataFrame) -> None:
    kinds = classify_columns(adult.drop(columns=["income"]))
    assert kinds.numeric == [
        "age", "fnlwgt", "education-num", "capital-gain", "capital-loss", "hours-per-week",
    ]  # fmt: skip
    assert "workclass" in kinds.categorical and "native-country" in kinds.categorical
    assert kinds.boolean == []


def test_one_hot_for_linear_models_with_scaling(adult_sample: pd.DataFrame) -> None:
    X = adult_sample.drop(columns=["income"])
    preprocessor = build_preprocessor(X, "logistic_regression").fit(X)
    out = preprocessor.transform(X)
    names = list(preprocessor.get_feature_names_out())
    assert out.shape == (len(X), len(names))
    assert not np.isnan(out).any()  # workclass/occupation/native-country missing are imputed
    assert "num__age" in names and "cat__sex_Female" in names
    age = out[:, names.index("num__age")]
    assert age.mean() == pytest.approx(0.0, abs=1e-9) and age.std() == pytest.approx(1.0)


def test_ordinal_for_boosted_trees_and_unknown_category(adult_sample: pd.DataFrame) -> None:
    X = adult_sample.drop(columns=["income"])
    preprocessor = build_preprocessor(X, "lightgbm").fit(X)
    names = list(preprocessor.get_feature_names_out())
    assert len(names) == X.shape[1]  # one column per feature, no one-hot expansion
    unseen = X.head(1).copy()
    unseen["occupation"] = "Astronaut"
    code = preprocessor.transform(unseen)[0, names.index("cat__occupation")]
    assert code == -1
    assert preprocessor.transform(X)[:, names.index("num__age")].tolist() == X["age"].tolist()


def test_unknown_category_one_hot_is_all_zeros(german: pd.DataFrame) -> None:
    X = german.drop(columns=["creditability"])
    preprocessor = build_preprocessor(X, "random_forest").fit(X)
    names = list(preprocessor.get_feature_names_out())
    row = X.head(1).copy()
    row["purpose"] = "spaceship"
    encoded = preprocessor.transform(row)[0]
    purpose = [i for i, name in enumerate(names) if name.startswith("cat__purpose_")]
    assert purpose and encoded[purpose].sum() == 0


def test_boolean_and_nullable_columns() -> None:
    X = pd.DataFrame(
        {
            "flag": [True, False, True, False],
            "maybe": pd.array([True, None, False, True], dtype="boolean"),
            "count": pd.array([1, None, 3, 4], dtype="Int64"),
            "colour": pd.Series(["red", None, "blue", "red"], dtype="category"),
        }
    )
    kinds = classify_columns(X)
    assert kinds.boolean == ["flag"]
    assert kinds.numeric == ["maybe", "count"]
    assert kinds.categorical == ["colour"]
    out = build_preprocessor(X, "xgboost").fit_transform(X)
    assert out.shape == (4, 4) and not np.isnan(out).any()


def test_unsupported_dtype_is_named() -> None:
    X = pd.DataFrame({"when": pd.to_datetime(["2024-01-01", "2024-01-02"]), "x": [1, 2]})
    with pytest.raises(DataError, match=r"unsupported dtypes: 'when' \(datetime64"):
        classify_columns(X)
    with pytest.raises(DataError, match="no columns"):
        classify_columns(pd.DataFrame(index=range(3)))
