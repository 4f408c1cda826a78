"""Map the columns the estimator sees back to the table's columns, and sum SHAP groups.

The preprocessing ``ColumnTransformer`` turns one categorical column into several one-hot
columns (linear model, random forest) or one ordinal column (boosted trees). An explanation
is read in the table's own terms, so the SHAP values of one column's outputs are summed:
additivity is kept (the sum over the groups equals the sum over the encoded columns).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from boucle.errors import DataError

__all__ = ["group_matrix", "original_columns", "split_pipeline"]


def split_pipeline(pipeline: Any) -> tuple[Any, Any]:
    """Return ``(preprocess, estimator)`` of a fitted ``preprocess → model`` pipeline."""
    steps = getattr(pipeline, "steps", None)
    if not steps or len(steps) < 2:
        raise DataError(
            f"cannot explain a {type(pipeline).__name__}: a boucle pipeline "
            "(preprocess → model) was expected.",
            hint="Explain a model trained by `boucle run` (the train step's pipeline).",
        )
    return pipeline[:-1], pipeline[-1]


def original_columns(preprocess: Any) -> list[str]:
    """The table column behind each output column of a fitted preprocessing transformer.

    Works on the ``ColumnTransformer`` of :func:`boucle.train.pipeline.build_preprocessor`
    (alone or as the last step of a pipeline): one-hot encoders map each category column to
    its source column, every other transformer maps one to one.
    """
    transformer = preprocess[-1] if hasattr(preprocess, "steps") else preprocess
    owners: list[str] = []
    for name, step, columns in getattr(transformer, "transformers_", []):
        if name == "remainder" and step == "drop":
            continue
        if step == "drop":
            continue
        owners.extend(_step_owners(step, [str(c) for c in columns]))
    width = len(transformer.get_feature_names_out())
    if len(owners) != width:
        raise DataError(
            f"cannot map the {width} preprocessed columns back to the table "
            f"({len(owners)} mapped).",
            hint="Explain a model trained by `boucle run`; custom transformers are not supported.",
        )
    return owners


def _step_owners(step: Any, columns: list[str]) -> list[str]:
    last = step[-1] if hasattr(step, "steps") else step
    categories = getattr(last, "categories_", None)
    if categories is None or type(last).__name__ != "OneHotEncoder":
        return list(columns)
    dropped = getattr(last, "drop_idx_", None)
    owners: list[str] = []
    for index, (column, values) in enumerate(zip(columns, categories, strict=True)):
        width = len(values) - (1 if dropped is not None and dropped[index] is not None else 0)
        owners.extend([column] * width)
    return owners


def group_matrix(owners: list[str]) -> tuple[list[str], npt.NDArray[np.float64]]:
    """The distinct columns (first-seen order) and the 0/1 matrix summing encoded → original.

    ``values @ matrix`` turns an ``(n, encoded)`` array of SHAP values into ``(n, columns)``.
    """
    columns = list(dict.fromkeys(owners))
    index = {column: i for i, column in enumerate(columns)}
    matrix = np.zeros((len(owners), len(columns)), dtype=np.float64)
    for row, owner in enumerate(owners):
        matrix[row, index[owner]] = 1.0
    return columns, matrix
