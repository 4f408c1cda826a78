"""Fixtures of the explain tests: German credit with a planted driver, real models fitted once."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from explain_models import Model

from boucle.train.search import fit_model
from boucle.train.targets import encode_target


@pytest.fixture(scope="session")
def planted(german: pd.DataFrame) -> tuple[pd.DataFrame, Any]:
    """German credit plus ``signal``, a numeric column that decides the label (bad = 1)."""
    y = encode_target(german["creditability"], "classification", "bad").y
    rng = np.random.default_rng(0)
    frame = german.drop(columns=["creditability"]).copy()
    frame["signal"] = 3.0 * y + rng.normal(0.0, 0.5, len(y))
    return frame, y


def _fit(planted: tuple[pd.DataFrame, Any], model: str, **params: Any) -> Model:
    frame, y = planted
    result = fit_model(
        frame.iloc[:800],
        y[:800],
        task_kind="binary",
        model=model,
        trials=0,
        timeout_s=None,
        metric="roc_auc",
        seed=0,
        fixed_params=params,
    )
    return Model(result.pipeline, frame.iloc[:800], frame.iloc[800:], y[:800], y[800:])


@pytest.fixture(scope="session")
def lightgbm_model(planted: tuple[pd.DataFrame, Any]) -> Model:
    """LightGBM (ordinal-encoded categories) with 50 trees."""
    return _fit(planted, "lightgbm", n_estimators=50)


@pytest.fixture(scope="session")
def linear_model(planted: tuple[pd.DataFrame, Any]) -> Model:
    """Logistic regression (one-hot categories, standardised numbers)."""
    return _fit(planted, "logistic_regression")


@pytest.fixture(scope="session")
def forest_model(planted: tuple[pd.DataFrame, Any]) -> Model:
    """A small random forest (one-hot categories), fully grown trees."""
    return _fit(planted, "random_forest", n_estimators=20)
