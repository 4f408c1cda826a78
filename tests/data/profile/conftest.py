"""Real tables and their profiles, computed once per test session (per xdist worker)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from boucle.data.profile import TableProfile, profile_table


@pytest.fixture(scope="session")
def adult(adult_path: Path, adult_options: dict[str, Any]) -> pd.DataFrame:
    """UCI Adult as pandas reads it (32,561 rows; '?' is missing)."""
    return pd.read_csv(adult_path, **adult_options)


@pytest.fixture(scope="session")
def adult_profile(adult: pd.DataFrame) -> TableProfile:
    """The profile of Adult with its classification target ``income``."""
    return profile_table(adult, target="income", task="classification")


@pytest.fixture(scope="session")
def german(german_path: Path) -> pd.DataFrame:
    """Statlog German credit (1,000 rows; target ``creditability``)."""
    return pd.read_csv(german_path)


@pytest.fixture(scope="session")
def german_profile(german: pd.DataFrame) -> TableProfile:
    """The profile of German credit with its classification target ``creditability``."""
    return profile_table(german, target="creditability", task="classification")
