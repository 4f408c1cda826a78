"""Fixtures for the training tests: the Adult and German credit data sets, read as shipped."""

from __future__ import annotations

import pandas as pd
import pytest


@pytest.fixture(scope="session")
def adult_sample(adult: pd.DataFrame) -> pd.DataFrame:
    """1,500 random Adult rows, for tests that fit every model."""
    return adult.sample(1500, random_state=0)
