"""Fixtures for the evaluation tests: real data, and models fitted on it once per session."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from .fitting import Fitted, fit_table

ADULT_COLUMNS = [
    "age", "workclass", "fnlwgt", "education", "education-num", "marital-status",
    "occupation", "relationship", "race", "sex", "capital-gain", "capital-loss",
    "hours-per-week", "native-country", "income",
]  # fmt: skip


def data_dir() -> Path:
    """shared/data beside the checkout (CI lays a copy there), else the workplace's copy."""
    beside = Path(__file__).resolve().parents[3] / "shared" / "data"
    return beside if beside.is_dir() else Path("/work/shared/data")


@pytest.fixture(scope="session")
def adult() -> pd.DataFrame:
    """The full UCI Adult table (32,561 rows); tests must not modify it."""
    return pd.read_csv(
        data_dir() / "adult.data",
        header=None,
        names=ADULT_COLUMNS,
        skipinitialspace=True,
        na_values=["?"],
    )


@pytest.fixture(scope="session")
def german() -> pd.DataFrame:
    """The Statlog German credit table (1,000 rows, target ``creditability`` good/bad)."""
    return pd.read_csv(data_dir() / "german_credit.csv")


@pytest.fixture(scope="session")
def adult_lightgbm(adult: pd.DataFrame) -> Fitted:
    """LightGBM fitted on 80 % of Adult to predict income >50K."""
    return fit_table(adult, "income", "classification", "lightgbm", positive=">50K")
