"""Table quality checks: missing values, duplicated rows, constant and id-like columns, labels.

Each check is vectorised pandas over the whole table (no sampling: a count is exact), and
returns either one failed result per offending column or one passed result for the table,
whose details name the worst column so that validation.json shows how close it came.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from boucle.data.validate.report import CheckResult

if TYPE_CHECKING:
    import pandas as pd

    from boucle.config.checks import (
        ConstantCheckConfig,
        DuplicatesCheckConfig,
        HighCardinalityCheckConfig,
        LabelBalanceCheckConfig,
        MissingCheckConfig,
    )

__all__ = [
    "TableProfile",
    "check_constant",
    "check_duplicates",
    "check_high_cardinality",
    "check_label_balance",
    "check_missing",
    "profile_table",
]

_EXAMPLES = 5


@dataclass(frozen=True)
class TableProfile:
    """Per-column counts computed once and shared by the checks (one pass each)."""

    rows: int
    missing: dict[str, int]  # nulls per column
    distinct: dict[str, int]  # distinct non-null values per column


def profile_table(frame: pd.DataFrame) -> TableProfile:
    """Count the nulls and the distinct non-null values of every column of ``frame``."""
    missing = {str(k): int(v) for k, v in frame.isna().sum().items()}
    distinct = {str(k): int(v) for k, v in frame.nunique(dropna=True).items()}
    return TableProfile(len(frame), missing, distinct)


def check_missing(profile: TableProfile, config: MissingCheckConfig) -> list[CheckResult]:
    """Fail each column whose share of missing values is above ``config.max_share``."""
    rows, limit = profile.rows, config.max_share
    shares = {column: count / rows if rows else 0.0 for column, count in profile.missing.items()}
    failed = [
        CheckResult(
            "missing",
            column,
            config.severity,
            False,
            f"{share:.1%} of values are missing ({profile.missing[column]} of {rows}), "
            f"above max_share {limit:.0%}",
            {"missing": profile.missing[column], "share": round(share, 6), "max_share": limit},
        )
        for column, share in shares.items()
        if share > limit
    ]
    if failed:
        return failed
    worst = max(shares, key=shares.__getitem__, default=None)
    top = shares[worst] if worst is not None else 0.0
    message = (
        f"every column has at most {limit:.0%} missing values (most: {worst!r} {top:.1%})"
        if top > 0
        else "no column has missing values"
    )
    details = {"max_share": limit, "worst_column": worst, "worst_share": round(top, 6)}
    return [CheckResult("missing", None, config.severity, True, message, details)]


def check_duplicates(frame: pd.DataFrame, config: DuplicatesCheckConfig) -> list[CheckResult]:
    """Fail when the share of rows that repeat an earlier row is above ``config.max_share``."""
    rows = len(frame)
    try:
        repeated = frame.duplicated(keep="first")
    except TypeError:  # unhashable cells (lists, dicts): compare their text instead
        repeated = frame.astype(str).duplicated(keep="first")
    count = int(repeated.sum())
    share = count / rows if rows else 0.0
    # Row labels, not values: a duplicated row may hold personal data.
    examples = [str(label) for label in frame.index[repeated.to_numpy()][:_EXAMPLES]]
    details: dict[str, Any] = {
        "duplicated_rows": count,
        "share": round(share, 6),
        "max_share": config.max_share,
        "example_rows": examples,
    }
    passed = share <= config.max_share
    verdict = "within" if passed else "above"
    message = f"{count} rows ({share:.2%}) repeat an earlier row, {verdict} max_share " + (
        f"{config.max_share:.0%}" + ("" if passed else f"; e.g. rows {', '.join(examples)}")
    )
    return [CheckResult("duplicates", None, config.severity, passed, message, details)]


def check_constant(profile: TableProfile, config: ConstantCheckConfig) -> list[CheckResult]:
    """Fail each column that holds a single value, or only nulls: it cannot inform a model."""
    # Distinct values counting null as one: a column of one value and nulls still says something.
    failed = []
    for column, distinct in profile.distinct.items():
        if distinct + (profile.missing[column] > 0) > 1:
            continue
        what = "only null values" if distinct == 0 else "a single value"
        message = f"holds {what} in all {profile.rows} rows; drop it (it cannot inform a model)"
        details = {"distinct": distinct, "rows": profile.rows}
        failed.append(CheckResult("constant", column, config.severity, False, message, details))
    if failed:
        return failed
    message = f"no column is constant ({len(profile.distinct)} columns)"
    return [CheckResult("constant", None, config.severity, True, message, {})]


def check_high_cardinality(
    frame: pd.DataFrame, profile: TableProfile, config: HighCardinalityCheckConfig, *, target: str
) -> list[CheckResult]:
    """Fail each text column (not the target) whose values are nearly all different.

    Such a column is an identifier or free text: memorised by a model, useless on new rows.
    Numeric columns are not checked (a measure is expected to take many values); tables under
    ``config.min_rows`` rows neither (with 20 rows, every name is unique).
    """
    from pandas.api import types

    limit = config.max_unique_share
    if profile.rows < config.min_rows:
        message = f"not checked: {profile.rows} rows, under min_rows {config.min_rows}"
        return [CheckResult("high_cardinality", None, config.severity, True, message, {})]
    failed, checked = [], 0
    for column in frame.columns:
        kind = frame[column].dtype
        if column == target or not (
            types.is_string_dtype(kind) or isinstance(kind, types.CategoricalDtype)
        ):
            continue
        checked += 1
        name = str(column)
        present = profile.rows - profile.missing[name]
        distinct = profile.distinct[name]
        share = distinct / present if present else 0.0
        if share <= limit:
            continue
        message = (
            f"{distinct} distinct values in {present} non-null rows ({share:.1%}), above "
            f"max_unique_share {limit:.0%}: an identifier or free text; drop or encode it"
        )
        details = {
            "distinct": distinct,
            "non_null": present,
            "unique_share": round(share, 6),
            "max_unique_share": limit,
        }
        failed.append(
            CheckResult("high_cardinality", name, config.severity, False, message, details)
        )
    if failed:
        return failed
    message = f"no text column is id-like ({checked} checked, max_unique_share {limit:.0%})"
    return [CheckResult("high_cardinality", None, config.severity, True, message, {})]


def check_label_balance(
    frame: pd.DataFrame, config: LabelBalanceCheckConfig, *, target: str
) -> list[CheckResult]:
    """Classification: fail when a class holds under ``config.min_share`` of the labels.

    Also fails when fewer than two classes are present: there is nothing to learn.
    """
    labels = frame[target].dropna()
    counts = labels.astype(str).value_counts()
    total = int(counts.sum())
    shares = counts / total if total else counts.astype(float)
    classes = {
        str(label): {"count": int(counts[label]), "share": round(float(shares[label]), 6)}
        for label in counts.index
    }
    details: dict[str, Any] = {
        "classes": classes,
        "min_share": config.min_share,
        "missing_labels": len(frame) - total,
    }
    if len(counts) < 2:
        found = ", ".join(repr(c) for c in classes) or "none"
        message = f"the target holds {len(counts)} class ({found}); a classifier needs two or more"
        return [CheckResult("label_balance", target, config.severity, False, message, details)]
    rare = [label for label in classes if classes[label]["share"] < config.min_share]
    details["rare_classes"] = rare
    if rare:
        listed = ", ".join(
            f"'{c}' {classes[c]['share']:.2%} ({classes[c]['count']} rows)" for c in rare
        )
        message = f"classes under min_share {config.min_share:.0%}: {listed}"
        return [CheckResult("label_balance", target, config.severity, False, message, details)]
    smallest = str(counts.index[-1])
    message = (
        f"{len(counts)} classes, the smallest '{smallest}' holds "
        f"{classes[smallest]['share']:.2%} ({classes[smallest]['count']} rows)"
    )
    return [CheckResult("label_balance", target, config.severity, True, message, details)]
