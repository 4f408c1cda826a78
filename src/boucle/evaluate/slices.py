"""Group test rows by the values of sensitive columns, so metrics can be computed per group.

A column with at most :data:`MAX_DISTINCT` distinct values gives one group per value. A
numeric column with more (``age``) is cut into :data:`N_BINS` quantile bins labelled by their
edges, ``"[17, 28]"``, ``"(28, 37]"``, ... Missing values form their own group, ``"missing"``,
so the counts of one column's groups always add up to the number of rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = ["MAX_DISTINCT", "MISSING_LABEL", "N_BINS", "SliceGroup", "slice_groups"]

#: A numeric column with more distinct values than this is binned.
MAX_DISTINCT = 20
#: Number of quantile bins for a binned numeric column (fewer when quantiles coincide).
N_BINS = 5
#: Label of the group of rows whose value is missing.
MISSING_LABEL = "missing"


@dataclass(frozen=True)
class SliceGroup:
    """The rows of one group: ``mask`` selects them among the rows that were sliced."""

    column: str
    value: str
    mask: npt.NDArray[np.bool_]

    @property
    def count(self) -> int:
        """Number of rows in the group."""
        return int(self.mask.sum())


def slice_groups(frame: pd.DataFrame, columns: Sequence[str]) -> list[SliceGroup]:
    """Return the groups of every column of ``columns`` (which must be columns of ``frame``).

    Groups of a column come in order: categories sorted by label, numbers and bins ascending,
    the missing group last. Empty groups are left out.
    """
    groups: list[SliceGroup] = []
    for column in columns:
        groups.extend(_column_groups(str(column), frame[column]))
    return groups


def _column_groups(column: str, values: pd.Series) -> list[SliceGroup]:
    missing = values.isna().to_numpy(dtype=bool)
    present = values[~missing]
    numeric = pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(
        values.dtype
    )
    if numeric and present.nunique() > MAX_DISTINCT:
        labels, order = _quantile_labels(values.to_numpy(dtype=np.float64, na_value=np.nan))
    else:
        labels = [None if m else _label(v) for v, m in zip(values.tolist(), missing, strict=True)]
        distinct = {label for label in labels if label is not None}
        order = _sorted_labels(distinct, numeric)
    label_array = np.array(labels, dtype=object)
    groups = [SliceGroup(column, label, label_array == label) for label in order]
    if missing.any():
        groups.append(SliceGroup(column, MISSING_LABEL, missing))
    return [group for group in groups if group.count > 0]


def _quantile_labels(values: npt.NDArray[np.float64]) -> tuple[list[str | None], list[str]]:
    """The bin label of each value (None where missing) and the labels in bin order."""
    finite = values[~np.isnan(values)]
    edges = np.unique(np.quantile(finite, np.linspace(0.0, 1.0, N_BINS + 1)))
    if len(edges) < 2:  # every value equal: a single bin
        edges = np.array([edges[0], edges[0]])
    # Bin i holds (edges[i], edges[i+1]]; the first bin also holds its lower edge.
    positions = np.searchsorted(edges, values, side="left") - 1
    positions = np.clip(positions, 0, len(edges) - 2)
    names = [
        f"{'[' if i == 0 else '('}{_number(edges[i])}, {_number(edges[i + 1])}]"
        for i in range(len(edges) - 1)
    ]
    labels = [
        None if np.isnan(value) else names[int(position)]
        for value, position in zip(values, positions, strict=True)
    ]
    return labels, names


def _label(value: object) -> str:
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _number(value: float) -> str:
    return f"{value:g}"


def _sorted_labels(labels: set[str], numeric: bool) -> list[str]:
    if numeric:
        try:
            return sorted(labels, key=float)
        except ValueError:
            pass
    return sorted(labels)
