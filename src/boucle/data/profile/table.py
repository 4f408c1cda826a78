"""Profile a whole table: every column in parallel, duplicates, correlations, the target.

Speed comes from reading each column once (see :mod:`boucle.data.profile.columns`), running
columns on a thread pool (numpy and pandas release the GIL in their kernels), measuring
correlations on a sample, and counting duplicate rows from the per-column codes already
computed instead of hashing the rows again.
"""

from __future__ import annotations

import os
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import numpy as np

from boucle.data.profile.columns import ColumnResult, column_kind, profile_column
from boucle.data.profile.correlations import measure_correlations, sample_positions
from boucle.data.profile.model import (
    ColumnProfile,
    Correlations,
    Overview,
    ProfileTask,
    TableProfile,
    TargetProfile,
)
from boucle.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["MAX_CORRELATION_COLUMNS", "profile_table"]

MAX_CORRELATION_COLUMNS = 100

_TASKS = ("classification", "regression")
_TARGET_CLASSES = 1000  # class counts kept for a classification target
_KEY_LIMIT = 1 << 62  # fold keys stay below this, so key * cardinality never overflows int64


class _DuplicateCounter:
    """Folds per-column codes into one integer key per row, then counts repeated keys.

    The key is a mixed-radix number of the codes; when the next column would overflow it, the
    keys are renumbered densely (``pd.factorize``), the trick pandas' ``duplicated`` uses.
    """

    def __init__(self, rows: int) -> None:
        self.key = np.zeros(rows, dtype=np.int64)
        self.size = 1

    def add(self, codes: np.ndarray, cardinality: int) -> None:
        import pandas as pd

        radix = cardinality + 1  # code -1 (missing) becomes 0
        if self.size * radix >= _KEY_LIMIT:
            dense, uniques = pd.factorize(self.key)
            self.key, self.size = dense.astype(np.int64), len(uniques)
        np.multiply(self.key, radix, out=self.key)  # in place: no new 8 MB arrays per column
        self.key += codes
        self.key += 1
        self.size *= radix

    def duplicates(self) -> int:
        ordered = np.sort(self.key)  # a vectorised sort beats a hash table here
        return int(np.count_nonzero(ordered[1:] == ordered[:-1]))


def _check_arguments(
    frame: pd.DataFrame, target: str | None, task: ProfileTask | None, sample_rows: int
) -> None:
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise DataError(
            f"cannot profile an empty table ({frame.shape[0]} rows, {frame.shape[1]} columns).",
            hint="Check the data source and its read options.",
        )
    names = [str(column) for column in frame.columns]
    repeated = sorted(name for name, count in Counter(names).items() if count > 1)
    if repeated:
        raise DataError(
            f"column names are repeated: {', '.join(repeated)}.",
            hint="Rename the columns so each name is unique.",
        )
    if target is not None and target not in names:
        raise DataError(
            f"target '{target}' is not a column of the table.",
            hint=f"Columns: {', '.join(names[:30])}{', …' if len(names) > 30 else ''}.",
        )
    if target is not None and task not in _TASKS:
        raise DataError(
            f"task {task!r} is not 'classification' or 'regression'.",
            hint="Pass task='classification' or task='regression' with a target.",
        )
    if target is not None and task == "regression":
        kind = column_kind(frame.iloc[:, names.index(target)])
        if kind != "numeric":
            raise DataError(
                f"regression target '{target}' is {kind}, not numeric.",
                hint="Use task='classification' or convert the target to numbers.",
            )
    if sample_rows < 2:
        raise DataError(
            f"sample_rows_for_correlation={sample_rows} is too small.",
            hint="Use at least 2 rows; 100000 is a good default.",
        )


def _target_profile(
    column: ColumnProfile, task: ProfileTask, correlations: Correlations
) -> TargetProfile:
    matrix = correlations.association
    associations: list[tuple[str, str, float]] = []
    if column.name in matrix.columns:
        numeric = {name for name in correlations.spearman.columns}
        for other in matrix.columns:
            value = matrix.value(column.name, other)
            if other == column.name or value is None:
                continue
            if column.name in numeric and other in numeric:
                method = "abs_spearman"
            elif column.name in numeric or other in numeric:
                method = "correlation_ratio"
            else:
                method = "cramers_v"
            associations.append((other, method, value))
    associations.sort(key=lambda item: -item[2])
    if task == "regression":
        return TargetProfile(
            name=column.name,
            task=task,
            missing=column.missing,
            histogram=column.histogram,
            associations=tuple(associations),
        )
    counts = [count for _, count in column.top_values]
    return TargetProfile(
        name=column.name,
        task=task,
        missing=column.missing,
        classes=column.top_values,
        imbalance=max(counts) / min(counts) if counts else None,
        associations=tuple(associations),
    )


def profile_table(
    frame: pd.DataFrame,
    *,
    target: str | None,
    task: ProfileTask | None,
    sample_rows_for_correlation: int = 100_000,
    seed: int = 0,
    workers: int | None = None,
) -> TableProfile:
    """Profile ``frame``: overview, per-column statistics, correlations and the target.

    ``target`` names the target column (or ``None``) and ``task`` says how to read it: a
    ``classification`` target is profiled as categorical (class counts) whatever its dtype,
    a ``regression`` target as numeric. Correlations use a uniform random sample of
    ``sample_rows_for_correlation`` rows drawn with ``seed``, so the same table gives the same
    profile. ``workers`` threads profile columns in parallel (default: one per CPU). Column
    names are reported as strings. Raises :class:`DataError` for an empty table, repeated
    column names, a target that is not a column, or a target without a valid task.
    """
    _check_arguments(frame, target, task, sample_rows_for_correlation)
    rows = frame.shape[0]
    names = [str(column) for column in frame.columns]
    positions = sample_positions(rows, sample_rows_for_correlation, seed)

    series = [frame.iloc[:, index] for index in range(len(names))]  # not from the threads

    def run(index: int) -> ColumnResult:
        name = names[index]
        is_target = name == target and task == "classification"
        return profile_column(
            series[index],
            name,
            sample_index=positions,
            top=_TARGET_CLASSES if is_target else 10,
            as_categorical=is_target,
        )

    threads = max(1, min(workers or os.cpu_count() or 1, len(names)))
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="boucle-profile") as pool:
        results = list(pool.map(run, range(len(names))))
    profiles = [result.profile for result in results]
    samples = [
        (result.profile.name, result.sample, result.profile.kind == "numeric")
        for result in results
        if result.sample is not None
    ]
    if len(samples) > MAX_CORRELATION_COLUMNS:  # pairs grow with the square of the columns
        others = [name for name, _, _ in samples if name != target]
        kept = {target, *others[: MAX_CORRELATION_COLUMNS - 1]}
        samples = [item for item in samples if item[0] in kept]
    duplicates = _DuplicateCounter(rows)
    # Fewest codes first: the key then outgrows int64 (and is renumbered) as late as possible.
    for result in sorted(results, key=lambda item: item.cardinality):
        duplicates.add(result.codes, result.cardinality)
        result.codes = np.empty(0, dtype=np.int64)  # free each column's codes once folded
    correlations = measure_correlations(
        [name for name, _, _ in samples],
        [sample for _, sample, _ in samples],
        [is_numeric for _, _, is_numeric in samples],
        sample_rows=len(positions),
        seed=seed,
    )
    kinds = dict(Counter(str(profile.kind) for profile in profiles))
    overview = Overview(
        rows=rows,
        columns=len(names),
        memory_bytes=int(frame.memory_usage(deep=True, index=True).sum()),
        duplicate_rows=duplicates.duplicates(),
        missing_cells=sum(profile.missing for profile in profiles),
        kinds=kinds,
    )
    target_profile = None
    if target is not None and task is not None:
        column = profiles[names.index(target)]
        target_profile = _target_profile(column, task, correlations)
    return TableProfile(overview, tuple(profiles), correlations, target_profile)
