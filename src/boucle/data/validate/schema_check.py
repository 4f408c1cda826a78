"""Validate a table against its schema and say, per column, what is wrong, with numbers.

pandera validates lazily (every failure of every column at once) and hands back one row per
failing value; this module folds those rows into one :class:`CheckResult` per column and kind
of failure: missing column, wrong dtype, unexpected nulls, unseen categories, values out of
range, any other check. Each carries its counts and up to 5 examples, never a traceback.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from boucle.data.validate.report import CheckResult, to_jsonable
from boucle.errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd
    from pandera.api.pandas.container import DataFrameSchema

    from boucle.config.checks import Severity

__all__ = ["check_schema"]

_EXAMPLES = 5
_RANGE_CHECKS = frozenset((
    "in_range", "between", "greater_than", "greater_than_or_equal_to", "ge", "gt",
    "less_than", "less_than_or_equal_to", "le", "lt",
))  # fmt: skip


def check_schema(
    frame: pd.DataFrame, schema: DataFrameSchema, *, severity: Severity = "error"
) -> list[CheckResult]:
    """Validate ``frame`` against ``schema`` and return one result per column and failure kind.

    All failures are collected (pandera ``lazy=True``); a table that matches gives a single
    passed result. Results are named ``schema`` and carry ``severity``.
    """
    from pandera.errors import SchemaDefinitionError, SchemaError, SchemaErrors

    from boucle.data.validate.schema import require_frame

    require_frame(frame)
    try:
        schema.validate(frame, lazy=True)
    except SchemaErrors as exc:
        cases = exc.failure_cases
    except SchemaError as exc:  # a failure pandera raises even when lazy: report it alone
        reason = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        details = {"check": str(getattr(exc, "check", None) or "schema")}
        return [CheckResult("schema", None, severity, False, reason, details)]
    except SchemaDefinitionError as exc:
        raise ConfigError(
            f"the schema cannot be applied: {exc}",
            hint="Check the checks you edited in the schema file against the pandera docs.",
        ) from exc
    else:
        count = len(schema.columns)
        message = f"{len(frame)} rows match the schema's {count} columns"
        return [CheckResult("schema", None, severity, True, message, {"columns": count})]
    return _summarise(frame, schema, cases, severity)


def _summarise(
    frame: pd.DataFrame, schema: DataFrameSchema, cases: pd.DataFrame, severity: Severity
) -> list[CheckResult]:
    results: list[CheckResult] = []
    table_level = (cases["column"].isna() | (cases["schema_context"] != "Column")).to_numpy()
    for row in cases[table_level].itertuples(index=False):
        results.append(_table_failure(str(row.check), row.failure_case, severity))
    # Group first, then read each group's check name: string work on 1M failure rows is slow.
    groups = {
        (str(column), str(check)): group
        for (column, check), group in cases[~table_level].groupby(["column", "check"], sort=False)
    }
    kinds = {key: key[1].split("(", 1)[0] for key in groups}
    could_not_run = {key for key, group in groups.items() if group["index"].isna().any()}
    dtype_failed = {column for (column, _), kind in kinds.items() if kind == "dtype"}
    for (column, check), group in groups.items():
        kind = kinds[column, check]
        located = group["index"].notna().to_numpy()
        values = group.loc[located, "failure_case"]
        errors = group.loc[~located, "failure_case"].astype(str).tolist()
        if kind == "dtype":
            not_run = [c for (col, c) in could_not_run if col == column and kinds[col, c] != kind]
            results.append(_dtype_failure(frame, schema, column, values, not_run, severity))
        elif errors and values.empty and column in dtype_failed:
            continue  # a check that could not run on a wrong dtype: reported with the dtype
        else:
            results.append(
                _value_failure(schema, column, kind, values, errors, severity, len(frame))
            )
    return results


def _table_failure(check: str, case: Any, severity: Severity) -> CheckResult:
    column = str(case)
    if check == "column_in_dataframe":
        message = f"column '{column}' is missing (the schema requires it)"
    elif check == "column_in_schema":
        message = f"column '{column}' is not in the schema, which is strict"
    else:
        return CheckResult(
            "schema",
            None,
            severity,
            False,
            f"table check {check} failed: {case}",
            {"check": check, "failure": to_jsonable(case)},
        )
    return CheckResult("schema", column, severity, False, message, {"check": check})


def _dtype_failure(
    frame: pd.DataFrame,
    schema: DataFrameSchema,
    column: str,
    values: pd.Series,
    not_run: list[str],
    severity: Severity,
) -> CheckResult:
    expected = str(schema.columns[column].dtype)
    actual = str(frame[column].dtype) if column in frame.columns else "?"
    details: dict[str, Any] = {"check": "dtype", "expected": expected, "actual": actual}
    message = f"dtype is {actual}, the schema expects {expected}"
    if len(values):
        details.update(bad_values=len(values), examples=_examples(values))
        message += f"; {len(values)} values do not fit, e.g. {_show(details['examples'])}"
    if not_run:
        details["checks_not_run"] = sorted(set(not_run))
    return CheckResult("schema", column, severity, False, message, details)


def _value_failure(
    schema: DataFrameSchema,
    column: str,
    check: str,
    values: pd.Series,
    errors: list[str],
    severity: Severity,
    rows: int,
) -> CheckResult:
    count = len(values)
    share = count / rows if rows else 0.0
    examples = _examples(values)
    details: dict[str, Any] = {"check": check, "count": count, "share": round(share, 6)}
    if check == "not_nullable":
        message = f"{count} null values ({share:.2%}) but the schema says not nullable"
    elif check == "isin":
        counts = values.astype(str).value_counts()
        unseen = {str(k): int(v) for k, v in counts.head(_EXAMPLES).items()}
        details.update(unseen_categories=len(counts), examples=unseen)
        shown = ", ".join(f"'{k}' ({v})" for k, v in unseen.items())
        message = (
            f"{count} rows ({share:.2%}) hold {len(counts)} categor"
            f"{'y' if len(counts) == 1 else 'ies'} not in the schema: {shown}"
        )
    elif check in _RANGE_CHECKS:
        bounds = _bounds(schema, column)
        details.update(allowed=bounds, examples=examples)
        seen = to_jsonable([values.min(), values.max()]) if _orderable(values) else None
        details["observed"] = seen
        where = f"outside {_show_bounds(bounds)}" if bounds else f"failing {check}"
        span = (
            ""
            if not seen
            else f" (all {seen[0]})"
            if seen[0] == seen[1]
            else (f" (from {seen[0]} to {seen[1]})")
        )
        message = f"{count} values ({share:.2%}) {where}{span}, e.g. {_show(examples)}"
    else:
        details["examples"] = examples
        message = f"{count} values ({share:.2%}) fail check {check}, e.g. {_show(examples)}"
    if errors:
        details["errors"] = errors[:_EXAMPLES]
        message = f"check {check} could not run: {errors[0]}" if not count else message
    return CheckResult("schema", column, severity, False, message, details)


def _bounds(schema: DataFrameSchema, column: str) -> dict[str, Any]:
    """The declared limits of ``column`` (min and max), read from its range checks."""
    bounds: dict[str, Any] = {}
    for check in schema.columns[column].checks:
        stats = getattr(check, "statistics", None) or {}
        for key, side in (("min_value", "min"), ("max_value", "max")):
            if key in stats:
                bounds[side] = to_jsonable(stats[key])
    return bounds


def _show_bounds(bounds: dict[str, Any]) -> str:
    return f"[{bounds.get('min', '-inf')}, {bounds.get('max', 'inf')}]"


def _orderable(values: pd.Series) -> bool:
    try:
        values.min()
    except TypeError:
        return False
    return len(values) > 0


def _examples(values: pd.Series) -> list[Any]:
    """Up to 5 distinct failing values, most frequent first, as JSON values."""
    counts = values.astype(str).value_counts().head(_EXAMPLES)
    first = values.groupby(values.astype(str), sort=False).first()
    return [to_jsonable(first[key]) for key in counts.index]


def _show(examples: list[Any]) -> str:
    return ", ".join(repr(value) for value in examples)
