"""Fixtures for the training tests: the Adult and German credit data sets, read as shipped."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

ADULT_COLUMNS = [
    "age", "workclass", "fnlwgt", "education", "education-num", "marital-status",
    "occupation", "relationship", "race", "sex", "capital-gain", "capital-loss",
    "hours-per-week", "native-country", "income",
]  # fmt: skip


def data_dir() -> Path:
    """shared/data beside the checkout (CI lays a copy there), else the workplace's copy."""
    beside = Path(__file__).resolve().parents[3] / "shared" / "data"
    return beside if beside.is_dir() else Path("/work/shared/data")


def read_adult() -> pd.DataFrame:
    """The UCI Adult census table (32,561 rows), '?' read as missing."""
    return pd.read_csv(
        data_dir() / "adult.data",
        header=None,
        names=ADULT_COLUMNS,
        skipinitialspace=True,
        na_values=["?"],
    )


@pytest.fixture(scope="session")
def adult() -> pd.DataFrame:
    """The full Adult table; tests must not modify it."""
    return read_adult()


@pytest.fixture(scope="session")
def adult_sample(adult: pd.DataFrame) -> pd.DataFrame:
    """1,500 random Adult rows, for tests that fit every model."""
    return adult.sample(1500, random_state=0)


@pytest.fixture(scope="session")
def german() -> pd.DataFrame:
    """The Statlog German credit table (1,000 rows, target ``creditability`` good/bad)."""
    return pd.read_csv(data_dir() / "german_credit.csv")
