"""Fixtures for the export tests: Adult and German credit, and pipelines fitted on them once.

Fits use the default parameters (``trials=0``) on subsamples so the folder stays fast. The
held-out rows keep Adult's missing categoricals ('?') and gain rows with categories never
seen in training, so every parity check covers both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest

from boucle.train.search import fit_model
from boucle.train.targets import TargetKind, encode_target

MODELS = ["logistic_regression", "random_forest", "lightgbm", "xgboost"]
TARGETS: dict[tuple[str, TargetKind], str] = {
    ("adult", "binary"): "income",
    ("adult", "regression"): "hours-per-week",
    ("german", "binary"): "creditability",
    ("german", "multiclass"): "housing",
}
UNSEEN: dict[str, dict[str, Any]] = {
    "adult": {"workclass": "Martian-gov", "native-country": "Atlantis", "occupation": np.nan},
    "german": {"purpose": "space travel", "job": "astronaut"},
}


@dataclass(frozen=True)
class Fitted:
    """A fitted pipeline with its train and held-out rows.

    ``X_parity`` is ``X_test`` plus 3 rows with unseen categories (no target for them).
    """

    pipeline: Any
    model: str
    task_kind: TargetKind
    X_train: pd.DataFrame
    y_train: npt.NDArray[Any]
    X_test: pd.DataFrame
    y_test: npt.NDArray[Any]
    X_parity: pd.DataFrame


@pytest.fixture(scope="session")
def tables(
    adult_path: Path, german_path: Path, adult_options: dict[str, Any]
) -> dict[str, pd.DataFrame]:
    """Adult (2,500 random rows) and German credit (all 1,000 rows), read as shipped.

    The paths come from tests/conftest.py: ``../shared/data`` beside the checkout, or the
    folder named by ``BOUCLE_SHARED_DATA``.
    """
    adult = pd.read_csv(adult_path, **adult_options)
    german = pd.read_csv(german_path)
    return {"adult": adult.sample(2500, random_state=0), "german": german}


@pytest.fixture(scope="session")
def fitted(tables: dict[str, pd.DataFrame]) -> Callable[[str, str, TargetKind], Fitted]:
    """A factory ``fitted(dataset, model, task_kind)``, caching each fit for the session."""
    cache: dict[tuple[str, str, TargetKind], Fitted] = {}

    def get(dataset: str, model: str, task_kind: TargetKind) -> Fitted:
        key = (dataset, model, task_kind)
        if key not in cache:
            cache[key] = _fit(tables[dataset], dataset, model, task_kind)
        return cache[key]

    return get


def _fit(table: pd.DataFrame, dataset: str, model: str, task_kind: TargetKind) -> Fitted:
    target = TARGETS[(dataset, task_kind)]
    encoding = encode_target(
        table[target], "regression" if task_kind == "regression" else "classification"
    )
    X = table.loc[encoding.keep].drop(columns=target)
    n_train = int(len(X) * 0.8)
    X_train, X_test = X.iloc[:n_train], X.iloc[n_train:]
    result = fit_model(
        X_train,
        encoding.y[:n_train],
        task_kind=task_kind,
        model=model,
        trials=0,
        timeout_s=None,
        metric="rmse" if task_kind == "regression" else "roc_auc",
        seed=0,
        n_jobs=1,  # pytest-xdist already runs one worker per core
    )
    return Fitted(
        result.pipeline,
        model,
        task_kind,
        X_train,
        encoding.y[:n_train],
        X_test,
        encoding.y[n_train:],
        with_unseen(X_test, dataset),
    )


def with_unseen(X: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """``X`` with 3 more rows (copies of its first) holding categories never seen in training."""
    extra = X.iloc[:3].copy()
    for column, value in UNSEEN[dataset].items():
        if column in extra.columns:
            extra[column] = value
    extra.index = pd.RangeIndex(10**6, 10**6 + 3)
    return pd.concat([X, extra])
