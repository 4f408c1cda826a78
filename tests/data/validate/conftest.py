"""Fixtures for the data-gate tests: the real datasets, read once per test session.

The frames are shared: a test that changes one works on ``.copy()``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

SHARED_DATA = Path(
    os.environ.get(
        "BOUCLE_SHARED_DATA", Path(__file__).resolve().parents[3].parent / "shared" / "data"
    )
)
ADULT_COLUMNS = [
    "age", "workclass", "fnlwgt", "education", "education-num", "marital-status",
    "occupation", "relationship", "race", "sex", "capital-gain", "capital-loss",
    "hours-per-week", "native-country", "income",
]  # fmt: skip
GERMAN_SENSITIVE = ["personal_status_and_sex", "age_in_years", "foreign_worker"]


@pytest.fixture(scope="session")
def adult() -> pd.DataFrame:
    """UCI Adult (32,561 rows, target ``income``), parsed as its README says."""
    return pd.read_csv(
        SHARED_DATA / "adult.data",
        header=None,
        names=ADULT_COLUMNS,
        skipinitialspace=True,
        na_values=["?"],
    )


@pytest.fixture(scope="session")
def german() -> pd.DataFrame:
    """Statlog German credit (1,000 rows, target ``creditability``)."""
    return pd.read_csv(SHARED_DATA / "german_credit.csv")
