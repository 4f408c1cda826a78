"""Fixtures for the drift tests: the real Adult data and a synthetic mixed-type generator."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ADULT = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "adult.data"
ADULT_NAMES = [
    "age", "workclass", "fnlwgt", "education", "education-num", "marital-status",
    "occupation", "relationship", "race", "sex", "capital-gain", "capital-loss",
    "hours-per-week", "native-country", "income",
]  # fmt: skip

MixedFactory = Callable[..., pd.DataFrame]


@pytest.fixture(scope="session")
def adult_frame() -> pd.DataFrame:
    """UCI Adult (32,561 rows, numeric and categorical, with missing values)."""
    assert ADULT.is_file(), f"Adult data not found at {ADULT}"
    return pd.read_csv(
        ADULT, header=None, names=ADULT_NAMES, skipinitialspace=True, na_values=["?"]
    )


def mixed_frame(n: int, seed: int) -> pd.DataFrame:
    """Synthetic table: smooth, skewed, discrete and partly missing numbers; categories with
    a few levels, a long Zipf tail (new ones show up by chance) and booleans; a score in [0, 1].
    """
    rng = np.random.default_rng(seed)
    filled = rng.uniform(0, 100, n)
    filled[rng.random(n) < 0.05] = np.nan
    tail = rng.zipf(1.6, n)
    return pd.DataFrame(
        {
            "normal": rng.normal(50.0, 10.0, n),
            "lognormal": rng.lognormal(3.0, 1.0, n),
            "count": rng.poisson(4.0, n),
            "partly_missing": filled,
            "score": rng.beta(2.0, 5.0, n),
            "plan": rng.choice(["basic", "plus", "pro", "team"], n, p=[0.5, 0.3, 0.15, 0.05]),
            "city": np.char.add("c", np.minimum(tail, 5_000).astype(str)),
            "flag": rng.random(n) < 0.3,
        }
    )


@pytest.fixture(scope="session")
def mixed() -> MixedFactory:
    """The synthetic table factory ``mixed(n, seed)``."""
    return mixed_frame
