"""From a project to its production evidence: the prediction log, performance, A/B analysis.

The prediction log lives where ``boucle serve`` writes it (``serve.log_dir``, by default
``<stores.root>/predictions``), as Parquet partitioned by day. These functions read a time
window of it (only the day partitions the window touches), join the feedback, and compute the
reports of :mod:`boucle.monitor`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from boucle.errors import ConfigError, DataError

if TYPE_CHECKING:
    import pandas as pd

    from boucle.config import BoucleConfig
    from boucle.monitor.ab import ABReport

__all__ = ["ab_analysis", "log_dir", "parse_window", "read_log"]


def log_dir(config: BoucleConfig) -> Path:
    """The prediction log folder of the project (``serve.log_dir`` or the store default)."""
    from boucle.serving import build_serve_config

    folder = build_serve_config(config).log_dir
    if folder is None:
        raise ConfigError(
            "the prediction log is off (serve.log_dir is not set and the store is remote).",
            hint="Set serve.log_dir in boucle.yaml to the folder `boucle serve` logs to.",
        )
    path = Path(folder)
    return path if path.is_absolute() else config.base_dir / path


def parse_window(window: str | None, since: str | None) -> datetime | None:
    """The start of the window: ``--window 7d`` (d, h, m) or ``--since 2026-11-01``."""
    if window and since:
        raise ConfigError(
            "give --window or --since, not both.",
            hint="--window 7d looks back from now; --since DATE starts at a date.",
        )
    if since:
        try:
            start = datetime.fromisoformat(since)
        except ValueError:
            raise ConfigError(
                f"--since '{since}' is not a date.", hint="Use ISO format, e.g. 2026-11-01."
            ) from None
        return start if start.tzinfo else start.replace(tzinfo=UTC)
    if not window:
        return None
    units = {"d": "days", "h": "hours", "m": "minutes"}
    number, unit = window[:-1], window[-1:].lower()
    if unit not in units or not number.isdigit() or int(number) <= 0:
        raise ConfigError(
            f"--window '{window}' is not a duration.", hint="Use e.g. 7d, 12h or 30m."
        )
    return datetime.now(UTC) - timedelta(**{units[unit]: int(number)})


def read_log(config: BoucleConfig, *, start: datetime | None = None) -> pd.DataFrame:
    """The prediction log records from ``start`` (all when None), oldest first."""
    import pyarrow.dataset as ds

    folder = log_dir(config)
    if not folder.is_dir() or not any(folder.glob("date=*")):
        raise DataError(
            f"no prediction log in '{folder}'.",
            hint="Serve the model (`boucle serve`) and send requests first, or give "
            "production rows with --current FILE.",
        )
    dataset = ds.dataset(str(folder), format="parquet", partitioning="hive")
    expression = None
    if start is not None:
        # The day partition prunes whole files; the timestamp filter cuts inside the first day.
        expression = (ds.field("date") >= start.date().isoformat()) & (
            ds.field("timestamp") >= start
        )
    table = dataset.to_table(filter=expression)
    frame: pd.DataFrame = table.to_pandas()
    if frame.empty:
        raise DataError(
            f"the prediction log in '{folder}' has no record since {start}.",
            hint="Widen --window / --since.",
        )
    return frame.sort_values("timestamp", kind="stable").reset_index(drop=True)


def _task(config: BoucleConfig, classes: tuple[str, ...]) -> Any:
    if config.task == "regression":
        return "regression"
    return "binary" if len(classes) == 2 else "multiclass"


def ab_analysis(
    config: BoucleConfig,
    *,
    a: str = "champion",
    b: str = "challenger",
    metric: str = "accuracy",
    min_difference: float = 0.01,
    start: datetime | None = None,
) -> ABReport:
    """Compare two serving routes on the labelled records of the prediction log."""
    from boucle.monitor.ab import ab_report
    from boucle.monitor.feedback_join import join_feedback

    scored = join_feedback(read_log(config, start=start))
    return ab_report(
        scored,
        task=_task(config, scored.classes),
        a=a,
        b=b,
        metric=metric,
        positive_class=config.data.positive_class,
        min_difference=min_difference,
    )
