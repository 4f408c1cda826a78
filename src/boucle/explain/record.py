"""Explain one prediction: the table columns that pushed it up or down, largest first.

:func:`explain_record` is what a serving route calls for ``POST /explain``: one JSON record
in, a short list of contributions out. Tree models need nothing else; the linear and kernel
explainers need background rows (the explain step stores a sample, ``background_digest``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from boucle.errors import DataError
from boucle.explain.features import split_pipeline
from boucle.explain.shap_values import ShapResult, compute_shap

__all__ = ["contributions", "explain_record"]


def explain_record(
    pipeline: Any,
    record: Mapping[str, Any],
    top: int = 5,
    *,
    background: pd.DataFrame | None = None,
    method: str = "auto",
) -> list[dict[str, Any]]:
    """The ``top`` SHAP contributions of one record: ``feature``, ``value``, ``contribution``.

    ``record`` maps every feature column the pipeline was fitted on to its value (``None``:
    missing). Contributions are in the explained output's space (log-odds of the positive
    class for boosted trees and the linear model, probability for the random forest, the
    value for regression), sorted by absolute size. Raises :class:`DataError` naming the
    missing or unknown fields.
    """
    if top < 1:
        raise DataError(f"top must be at least 1, got {top}.", hint="Ask for top=1 or more.")
    frame = _record_frame(pipeline, record)
    kind = _kind(pipeline)
    result = compute_shap(pipeline, frame, kind=kind, method=method, background=background)
    return contributions(result, 0, top)


def contributions(result: ShapResult, row: int, top: int) -> list[dict[str, Any]]:
    """The ``top`` largest contributions of row ``row`` of ``result``, as JSON-ready dicts."""
    values = result.values[row]
    order = sorted(range(len(values)), key=lambda j: (-abs(float(values[j])), result.columns[j]))
    raw = result.rows.iloc[row]
    return [
        {
            "feature": result.columns[j],
            "value": _json_value(raw[result.columns[j]]),
            "contribution": float(values[j]),
        }
        for j in order[:top]
    ]


def _record_frame(pipeline: Any, record: Mapping[str, Any]) -> pd.DataFrame:
    preprocess, _ = split_pipeline(pipeline)
    expected = [str(c) for c in getattr(preprocess, "feature_names_in_", [])]
    missing = [c for c in expected if c not in record]
    unknown = [str(c) for c in record if c not in expected]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"missing fields {', '.join(missing[:10])}")
        if unknown:
            parts.append(f"unknown fields {', '.join(unknown[:10])}")
        raise DataError(
            f"the record does not match the model's features: {'; '.join(parts)}.",
            hint=f"Send exactly these fields (null for a missing value): {', '.join(expected)}.",
        )
    kinds = _column_kinds(preprocess)
    columns = {}
    for name in expected:
        # A column only a feature function reads has no kind: its value's type decides.
        columns[name] = _column(name, record[name], kinds.get(name, "auto"))
    return pd.DataFrame(columns)


def _column_kinds(preprocess: Any) -> dict[str, str]:
    """``num``, ``cat`` or ``bool`` per input column, from the fitted ColumnTransformer."""
    transformer = preprocess[-1] if hasattr(preprocess, "steps") else preprocess
    kinds: dict[str, str] = {}
    for name, _, columns in getattr(transformer, "transformers_", []):
        for column in columns if isinstance(columns, list) else []:
            kinds[str(column)] = str(name)
    return kinds


def _column(name: str, value: Any, kind: str) -> pd.Series:
    if kind == "num":
        if value is not None and (isinstance(value, str | bool) or not _is_number(value)):
            raise DataError(
                f"field '{name}' is numeric but got {value!r}.",
                hint="Send a number, or null for a missing value.",
            )
        return pd.Series([np.nan if value is None else float(value)], dtype=np.float64)
    if kind == "bool":
        return pd.Series([bool(value)], dtype=bool)
    if kind == "auto" and isinstance(value, int | float) and not isinstance(value, bool):
        return pd.Series([float(value)], dtype=np.float64)
    return pd.Series([value], dtype=object)


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _kind(pipeline: Any) -> Any:
    _, estimator = split_pipeline(pipeline)
    classes = getattr(estimator, "classes_", None)
    if classes is None:
        return "regression"
    return "binary" if len(classes) == 2 else "multiclass"


def _json_value(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if pd.isna(value):
        return None
    return str(value)
