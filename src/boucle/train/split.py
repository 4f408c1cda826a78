"""Split features and the encoded target into train and test sets, reproducibly.

The split is recorded by the positions of the test rows (:attr:`Split.test_positions`), so
the runner can hash it and a later run can prove it evaluated on the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from boucle.errors import DataError

__all__ = ["Split", "split_table"]


@dataclass(frozen=True)
class Split:
    """Train and test parts of a table; positions index the rows of the table as passed."""

    X_train: pd.DataFrame
    X_test: pd.DataFrame
    y_train: npt.NDArray[Any]
    y_test: npt.NDArray[Any]
    train_positions: npt.NDArray[np.int64]
    test_positions: npt.NDArray[np.int64]
    stratified: bool


def split_table(
    X: pd.DataFrame,
    y: npt.NDArray[Any],
    *,
    test_size: float,
    seed: int,
    stratify: bool,
    classes: list[str] | None = None,
) -> Split:
    """Split ``X`` and ``y`` into train and test parts with scikit-learn's train_test_split.

    ``y`` is the encoded target (:attr:`TargetEncoding.y`). ``stratify`` is honoured for
    integer class codes only; a float (regression) target is never stratified. ``classes``
    (the encoding's labels) makes errors name a class rather than its code. Raises
    :class:`~boucle.errors.DataError` when the table is too small or a class has too few
    rows to stratify.
    """
    from sklearn.model_selection import train_test_split

    target = np.asarray(y)
    if len(X) != len(target):
        raise DataError(
            f"Features have {len(X)} rows but the target has {len(target)}.",
            hint="Drop the rows the target encoding dropped: X[encoding.keep].",
        )
    if not 0.0 < test_size < 1.0:
        raise DataError(
            f"split.test_size {test_size!r} is not a fraction between 0 and 1.",
            hint="Use a value such as 0.2.",
        )
    n_test = int(np.ceil(test_size * len(X)))
    if len(X) < 2 or n_test >= len(X):
        raise DataError(
            f"Cannot split {len(X)} rows with test_size {test_size}: the train or test part "
            "would be empty.",
            hint="Use more data or a smaller test_size.",
        )
    use_stratify = stratify and np.issubdtype(target.dtype, np.integer)
    if use_stratify:
        _check_stratifiable(target, n_test, len(X) - n_test, classes)
    positions = np.arange(len(X), dtype=np.int64)
    try:
        train_pos, test_pos = train_test_split(
            positions,
            test_size=test_size,
            random_state=seed,
            shuffle=True,
            stratify=target if use_stratify else None,
        )
    except ValueError as exc:
        raise DataError(
            f"Cannot split {len(X)} rows with test_size {test_size}: {exc}",
            hint="Use more data, another test_size, or stratify: false.",
        ) from exc
    train_pos = np.asarray(train_pos, dtype=np.int64)
    test_pos = np.asarray(test_pos, dtype=np.int64)
    return Split(
        X_train=X.iloc[train_pos],
        X_test=X.iloc[test_pos],
        y_train=target[train_pos],
        y_test=target[test_pos],
        train_positions=train_pos,
        test_positions=test_pos,
        stratified=use_stratify,
    )


def _check_stratifiable(
    target: npt.NDArray[Any], n_test: int, n_train: int, classes: list[str] | None
) -> None:
    codes, counts = np.unique(target, return_counts=True)
    rare = [(int(c), int(n)) for c, n in zip(codes, counts, strict=True) if n < 2]
    if rare:
        named = ", ".join(
            f"'{classes[c] if classes is not None else c}' ({n} row)" for c, n in rare
        )
        raise DataError(
            f"Cannot stratify the split: class {named} has fewer than 2 rows.",
            hint="Set split.stratify: false, or drop or merge the rare classes.",
        )
    if len(codes) > min(n_test, n_train):
        raise DataError(
            f"Cannot stratify {len(codes)} classes into a test part of {n_test} rows and a "
            f"train part of {n_train} rows.",
            hint="Use a test_size that leaves at least one row per class on each side, "
            "or set split.stratify: false.",
        )
