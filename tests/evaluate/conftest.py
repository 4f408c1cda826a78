"""Fixtures for the evaluation tests: real data, and models fitted on it once per session."""

from __future__ import annotations

import pandas as pd
import pytest

from .fitting import Fitted, fit_table


@pytest.fixture(scope="session")
def adult_lightgbm(adult: pd.DataFrame) -> Fitted:
    """LightGBM fitted on 80 % of Adult to predict income >50K."""
    return fit_table(adult, "income", "classification", "lightgbm", positive=">50K")
