"""Representation of the groups of each sensitive column, in the data and in the training rows.

A group the model sees a handful of times is a group it will serve badly, and whose metrics
(fairness, slices) will be noise. Each sensitive column is cut into groups: its values, or
``bins`` quantile bins for a numeric column with more than ``max_levels`` values (age); nulls
form a group of their own, ``(missing)``. A group fails under ``min_share`` of the rows or
``min_count`` rows. Given the training rows, a group also fails when its share there moves
more than ``split_tolerance`` (absolute) from its share in the whole table, or when the training
rows hold none of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from boucle.data.validate.report import CheckResult
from boucle.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

    from boucle.config.checks import RepresentationCheckConfig

__all__ = ["check_representation", "sensitive_groups"]

MISSING_GROUP = "(missing)"


def sensitive_groups(series: pd.Series, config: RepresentationCheckConfig) -> pd.Series:
    """Return the group of each row (categorical, text labels): its value, or its quantile bin.

    Numeric columns with more than ``config.max_levels`` values are cut in ``config.bins``
    quantile bins labelled by their interval, e.g. ``(26.0, 33.0]``; nulls are ``(missing)``.
    """
    import pandas as pd
    from pandas.api import types

    kind = series.dtype
    numeric = types.is_numeric_dtype(kind) and not types.is_bool_dtype(kind)
    if numeric and series.nunique() > config.max_levels:
        groups = pd.qcut(series, q=config.bins, duplicates="drop")
    else:
        groups = series.astype("category")
    # Label the few categories, not the million rows: str() on each row costs seconds.
    labels = [str(category) for category in groups.cat.categories]
    if len(set(labels)) < len(labels):  # 1 and "1" in one object column: compare as text
        groups = series.astype(str).astype("category")
    else:
        groups = groups.cat.rename_categories(labels)
    if groups.isna().any():
        groups = groups.cat.add_categories([MISSING_GROUP]).fillna(MISSING_GROUP)
    return groups


def check_representation(
    frame: pd.DataFrame,
    *,
    sensitive: Sequence[str],
    config: RepresentationCheckConfig,
    train_index: Sequence[Any] | pd.Index | None = None,
) -> list[CheckResult]:
    """Check each group of each ``sensitive`` column: its share and count, and its split.

    Returns, per column, a ``representation`` result and, when ``train_index`` (row labels
    of the training rows) is given, a ``representation_split`` result.
    """
    in_train = None if train_index is None else _train_mask(frame, train_index)
    results: list[CheckResult] = []
    for column in sensitive:
        groups = sensitive_groups(frame[column], config)
        results.append(_presence(column, groups, config))
        if in_train is not None:
            results.append(_split(column, groups, in_train, config))
    return results


def _presence(column: str, groups: pd.Series, config: RepresentationCheckConfig) -> CheckResult:
    counts = groups.value_counts()
    counts = counts[counts > 0]  # a categorical column counts its unused categories too
    rows = int(counts.sum())
    table = {str(g): {"count": int(n), "share": round(int(n) / rows, 6)} for g, n in counts.items()}
    weak = [
        g
        for g, s in table.items()
        if s["share"] < config.min_share or s["count"] < config.min_count
    ]
    details: dict[str, Any] = {
        "groups": table,
        "failing_groups": weak,
        "min_share": config.min_share,
        "min_count": config.min_count,
    }
    if weak:
        listed = ", ".join(
            f"'{g}' {table[g]['share']:.2%} ({table[g]['count']} rows)" for g in weak
        )
        message = (
            f"{len(weak)} of {len(table)} groups under-represented: {listed}; "
            f"need >= {config.min_share:.1%} and >= {config.min_count} rows"
        )
        return CheckResult("representation", column, config.severity, False, message, details)
    smallest = str(counts.index[-1])
    message = (
        f"{len(table)} groups, the smallest '{smallest}' holds "
        f"{table[smallest]['share']:.2%} ({table[smallest]['count']} rows)"
    )
    return CheckResult("representation", column, config.severity, True, message, details)


def _split(
    column: str, groups: pd.Series, in_train: Any, config: RepresentationCheckConfig
) -> CheckResult:
    overall = groups.value_counts(normalize=True)
    overall = overall[overall > 0]
    trained = groups[in_train].value_counts()
    train_rows = int(trained.sum())
    table: dict[str, dict[str, Any]] = {}
    drifted: list[str] = []
    for group, share in overall.items():
        count = int(trained.get(group, 0))
        train_share = count / train_rows
        gap = train_share - float(share)
        table[str(group)] = {
            "share": round(float(share), 6),
            "train_share": round(train_share, 6),
            "train_count": count,
            "gap": round(gap, 6),
        }
        if count == 0 or abs(gap) > config.split_tolerance:
            drifted.append(str(group))
    details: dict[str, Any] = {
        "groups": table,
        "failing_groups": drifted,
        "train_rows": train_rows,
        "split_tolerance": config.split_tolerance,
    }
    if not drifted:
        worst = max(table, key=lambda g: abs(table[g]["gap"]))
        message = (
            f"training shares within {config.split_tolerance:.1%} of the table's "
            f"(largest gap: '{worst}' {table[worst]['gap']:+.2%})"
        )
        return CheckResult("representation_split", column, config.severity, True, message, details)
    parts = []
    for g in drifted:
        row = table[g]
        if row["train_count"] == 0:
            parts.append(f"'{g}' is absent from the training rows ({row['share']:.2%} overall)")
        else:
            parts.append(
                f"'{g}' is {row['train_share']:.2%} of training rows vs "
                f"{row['share']:.2%} overall ({row['gap']:+.2%})"
            )
    message = f"{'; '.join(parts)}; tolerance {config.split_tolerance:.1%}"
    return CheckResult("representation_split", column, config.severity, False, message, details)


def _train_mask(frame: pd.DataFrame, train_index: Sequence[Any] | pd.Index) -> Any:
    """Boolean mask of the training rows; every label must be a row of ``frame``."""
    import pandas as pd

    labels = pd.Index(train_index)
    unknown = labels.difference(frame.index)
    if len(unknown):
        raise DataError(
            f"train_index holds {len(unknown)} labels that are not rows of the table, "
            f"e.g. {list(unknown[:5])!r}.",
            hint="Pass the index labels of the training rows, e.g. train_frame.index.",
        )
    mask = frame.index.isin(labels)
    if not mask.any():
        raise DataError("train_index selects no row of the table.", hint="Pass the training rows.")
    return mask
