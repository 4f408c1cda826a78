"""The data gate: run every configured check on one table and gather the results in a report.

:func:`run_checks` never changes the table and never raises for a failed check; the caller
decides with :func:`~boucle.data.validate.raise_for_errors` (the runner does, after writing
validation.json) and applies the PII actions with :func:`apply_pii_policies`. It raises only
for a call that cannot be checked at all: a target or sensitive column that is not in the
table, an unknown task, an empty table, a ``hash`` policy without its salt.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from boucle.config.checks import ChecksConfig, Severity, TaskName
from boucle.data.validate.leakage import check_leakage
from boucle.data.validate.policies import check_pii, check_sources
from boucle.data.validate.quality import (
    check_constant,
    check_duplicates,
    check_high_cardinality,
    check_label_balance,
    check_missing,
    profile_table,
)
from boucle.data.validate.report import CheckResult, ValidationReport
from boucle.data.validate.representation import check_representation
from boucle.data.validate.schema_check import check_schema
from boucle.errors import ConfigError, DataError

if TYPE_CHECKING:
    from collections.abc import Callable

    import pandas as pd
    from pandera.api.pandas.container import DataFrameSchema

    from boucle.data.pii import PiiReport

__all__ = ["run_checks"]

_TASKS = ("classification", "regression")


def run_checks(
    frame: pd.DataFrame,
    *,
    target: str,
    task: TaskName,
    sensitive: Sequence[str] = (),
    config: ChecksConfig | None = None,
    schema: DataFrameSchema | None = None,
    train_index: Sequence[Any] | pd.Index | None = None,
    environ: Mapping[str, str] | None = None,
) -> ValidationReport:
    """Run every data check on ``frame`` and return the :class:`ValidationReport`.

    Checks, in order: schema (when ``schema`` is given), missing, duplicates, constant,
    high_cardinality, label_balance (classification), leakage, representation of each
    ``sensitive`` column (and its split, given ``train_index``, the row labels of the training
    rows), pii, sources, then the plug-in checks of ``config.custom``. A check whose
    severity is ``off`` is skipped and listed as such. ``environ`` (default ``os.environ``)
    is where the PII hashing salt is looked up.
    """
    started = time.perf_counter()
    config = ChecksConfig() if config is None else config
    _check_call(frame, target=target, task=task, sensitive=sensitive, config=config)
    c, severity_of = config, config.schema_.severity
    # (name, severity, why it cannot run here or None, the check)
    plan: list[tuple[str, Severity, str | None, Callable[[], list[CheckResult]]]] = [
        ("schema", c.schema_.severity, None if schema is not None else "no schema given",
         lambda: [] if schema is None else check_schema(frame, schema, severity=severity_of)),
        ("missing", c.missing.severity, None, lambda: check_missing(profile, c.missing)),
        ("duplicates", c.duplicates.severity, None,
         lambda: check_duplicates(frame, c.duplicates)),
        ("constant", c.constant.severity, None, lambda: check_constant(profile, c.constant)),
        ("high_cardinality", c.high_cardinality.severity, None,
         lambda: check_high_cardinality(frame, profile, c.high_cardinality, target=target)),
        ("label_balance", c.label_balance.severity,
         None if task == "classification" else "regression",
         lambda: check_label_balance(frame, c.label_balance, target=target)),
        ("leakage", c.leakage.severity, None,
         lambda: check_leakage(frame, target=target, task=task, config=c.leakage)),
        ("representation", c.representation.severity,
         None if sensitive else "no sensitive columns",
         lambda: check_representation(frame, sensitive=sensitive, config=c.representation,
                                      train_index=train_index)),
    ]  # fmt: skip
    profile = profile_table(frame)
    results: list[CheckResult] = []
    skipped: list[str] = []
    for name, severity, reason, check in plan:
        reason = reason or ("severity off" if severity == "off" else None)
        if reason is None:
            results.extend(check())
        else:
            skipped.append(f"{name} ({reason})")
    pii: PiiReport | None = None
    if config.pii.enabled:
        pii_results, pii = check_pii(frame, config.pii, environ=environ)
        results.extend(pii_results)
    else:
        skipped.append("pii (disabled)")
    if config.sources.severity == "off":
        skipped.append("sources (severity off)")
    else:
        results.extend(check_sources(config.sources))
    if config.custom:
        from boucle.data.validate.custom import run_custom_checks

        custom, custom_skipped = run_custom_checks(
            frame, config.custom, target=target, task=task, sensitive=sensitive
        )
        results.extend(custom)
        skipped.extend(custom_skipped)
    return ValidationReport(
        tuple(results),
        rows=len(frame),
        columns=frame.shape[1],
        skipped=tuple(skipped),
        sources=config.sources.model_dump(exclude={"severity"}),
        pii=pii,
        duration_s=time.perf_counter() - started,
    )


def _check_call(
    frame: pd.DataFrame, *, target: str, task: str, sensitive: Sequence[str], config: ChecksConfig
) -> None:
    """Refuse a call that cannot be checked, naming the bad value and the valid ones."""
    import pandas as pd
    from pandas.api.types import is_numeric_dtype

    if not isinstance(frame, pd.DataFrame):
        raise DataError(
            f"run_checks needs a pandas DataFrame, got {type(frame).__name__!r}.",
            hint="Read the table first, e.g. boucle.data.read_table(path).",
        )
    if frame.empty:
        raise DataError(
            f"the table is empty ({frame.shape[0]} rows x {frame.shape[1]} columns).",
            hint="Check data.source and the reader options (sep, header).",
        )
    if not isinstance(config, ChecksConfig):
        raise ConfigError(
            f"config must be a ChecksConfig, got {type(config).__name__!r}.",
            hint="Build it with ChecksConfig.model_validate(mapping).",
        )
    if task not in _TASKS:
        raise ConfigError(
            f"task {task!r} is not one of: {', '.join(_TASKS)}.",
            hint="Set task: classification or task: regression.",
        )
    columns = ", ".join(map(str, frame.columns))
    if target not in frame.columns:
        raise ConfigError(
            f"data.target {target!r} is not a column of the table.", hint=f"Columns: {columns}."
        )
    twice = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
    if twice:
        raise DataError(f"columns {', '.join(map(repr, twice))} appear more than once.",
                        hint="Rename them so that every column has its own name.")  # fmt: skip
    if task == "regression" and not is_numeric_dtype(frame[target].dtype):
        raise ConfigError(
            f"task regression needs a numeric target; {target!r} holds {frame[target].dtype}.",
            hint="Set task: classification, or convert the target to numbers when reading.",
        )
    if isinstance(sensitive, str):
        raise ConfigError(
            f"data.sensitive must be a list of columns, got the text {sensitive!r}.",
            hint=f"Write e.g. sensitive: [{sensitive}].",
        )
    unknown = [name for name in sensitive if name not in frame.columns]
    if unknown:
        raise ConfigError(
            f"data.sensitive names {', '.join(map(repr, unknown))}, not columns of the table.",
            hint=f"Columns: {columns}.",
        )
