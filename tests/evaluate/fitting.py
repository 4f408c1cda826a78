"""Fit a model on a real table the way the runner will: encode, split, search."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from boucle.train.search import fit_model
from boucle.train.split import Split, split_table
from boucle.train.targets import TargetEncoding, TaskType, encode_target


@dataclass(frozen=True)
class Fitted:
    """A model fitted on the train part of a table, with what is needed to evaluate it."""

    encoding: TargetEncoding
    split: Split
    pipeline: Any


def fit_table(
    table: pd.DataFrame,
    target: str,
    task: TaskType,
    model: str,
    positive: str | None = None,
    metric: str = "roc_auc",
) -> Fitted:
    """Encode, split 80/20 (seed 0) and fit ``model`` with its default parameters."""
    encoding = encode_target(table[target], task, positive)
    X = table.drop(columns=[target])[encoding.keep]
    split = split_table(X, encoding.y, test_size=0.2, seed=0, stratify=True)
    result = fit_model(
        split.X_train,
        split.y_train,
        task_kind=encoding.kind,
        model=model,
        trials=0,
        timeout_s=None,
        metric=metric,
        seed=0,
    )
    return Fitted(encoding, split, result.pipeline)
