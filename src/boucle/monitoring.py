"""From a project to its production evidence: the prediction log, performance, A/B analysis.

The prediction log lives where ``boucle serve`` writes it (``serve.log_dir``, by default
``<stores.root>/predictions``), as Parquet partitioned by day. These functions read a time
window of it (only the day partitions the window touches), join the feedback, and compute the
reports of :mod:`boucle.monitor`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from boucle.errors import ConfigError, DataError

if TYPE_CHECKING:
    import pandas as pd

    from boucle.config import BoucleConfig
    from boucle.monitor import DriftReport
    from boucle.monitor.ab import ABReport
    from boucle.monitor.html_report import DriftWindow
    from boucle.monitor.operations import OpsReport
    from boucle.monitor.performance import PerformanceReport

__all__ = ["LogMonitoring", "ab_analysis", "log_dir", "monitor_log", "parse_window", "read_log"]


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


@dataclass(frozen=True)
class LogMonitoring:
    """What ``boucle monitor`` found in the prediction log, and where it wrote it."""

    run_id: str
    model_name: str
    version: str
    rows: int
    drift: DriftReport | None
    timeline: list[DriftWindow]
    performance: PerformanceReport
    ops: OpsReport
    report_path: str
    json_path: str
    notes: tuple[str, ...] = ()
    """Caveats: too few rows, no rows of the version, empty or constant features."""

    def values(self) -> dict[str, Any]:
        """Every monitored value by namespace (what alert rules and monitor.json read)."""

        def strip(flat: dict[str, float], prefix: str) -> dict[str, float]:
            return {key.removeprefix(prefix): value for key, value in flat.items()}

        values: dict[str, Any] = {
            "performance": strip(self.performance.values(), "performance."),
            "ops": strip(self.ops.values(), "ops."),
        }
        if self.drift is not None:
            values["drift"] = {
                "share_drifted": self.drift.share_drifted,
                "dataset_drift": float(self.drift.dataset_drift),
                "drifted": float(len(self.drift.drifted_features)),
            }
        return values


def monitor_log(
    config: BoucleConfig,
    *,
    ref: str = "champion",
    start: datetime | None = None,
    window: str | None = None,
    alpha: float | None = None,
    html: Path | None = None,
    alerts: bool = True,
    dask: bool | None = None,
    workers: int | None = None,
) -> LogMonitoring:
    """Monitor the served traffic: drift of the logged inputs, performance, operations.

    Drift compares the inputs of the records ``ref`` scored with that version's reference
    profile (stored by its run), overall and per ``window``; performance joins the feedback;
    operations cover every version in the log. The HTML report and ``monitor.json`` go to the
    store (``monitor/<run_id>.html``/``.json``) and, with ``html``, to that file as well; the
    ledger gets ``drift_checked`` and ``performance_checked``. With ``alerts`` the
    ``alerts.rules`` on ``drift.*``, ``performance.*`` and ``ops.*`` are evaluated and fired
    (``alert_fired`` events; a failing sink is recorded, never raised).

    ``window`` (timeline step), ``alpha``, ``dask`` and ``workers`` default to the
    ``monitor:`` section; ``monitor.drift_tests`` add plug-in drift tests. With ``dask`` the
    overall drift scans the log's day files on a local Dask cluster (same report as without).
    """
    import numpy as np
    import pandas as pd

    from boucle.api import show
    from boucle.hashing import canonical_json
    from boucle.monitor import ReferenceProfile
    from boucle.monitor.feedback_join import join_feedback
    from boucle.monitor.html_report import drift_timeline, render_monitor_report
    from boucle.monitor.operations import operations_report
    from boucle.monitor.performance import performance_report
    from boucle.registry import resolve_version
    from boucle.reports import write_report
    from boucle.runner.context import RunContext
    from boucle.runner.monitor_step import check_drift, configured_drift_tests
    from boucle.runner.session import open_ledger, open_store

    info = resolve_version(config.stores.tracking or "", config.project, ref)
    steps = show(info.boucle_run_id, config).get("steps", {}) if info.boucle_run_id else {}
    if "reference" not in steps:
        raise DataError(
            f"version {info.version} of '{info.model_name}' has no stored reference profile.",
            hint="Run `boucle run` (the reference step profiles the training rows).",
        )
    reference_manifest = steps["reference"]["manifest"]
    settings = config.monitor
    window = settings.timeline if window is None else window
    alpha = settings.alpha if alpha is None else alpha
    dask = settings.dask if dask is None else dask
    workers = settings.workers if workers is None else workers
    log = read_log(config, start=start)
    scored = join_feedback(log)
    version = str(info.version)
    mine = scored.rows[scored.rows["model_version"].astype("string") == version]
    features = list(reference_manifest["features"])
    # A feature never logged counts as missing (its missing rate then drifts, visibly).
    current = pd.DataFrame(
        {
            c: mine[f"feature:{c}"].to_numpy()
            if f"feature:{c}" in mine.columns
            else np.full(len(mine), np.nan)
            for c in features
        }
    )
    notes: list[str] = []
    store = open_store(config)
    with open_ledger(config) as ledger:
        ctx = RunContext(config=config, store=store, ledger=ledger)
        ctx.lineage_id = info.tags.get("boucle.lineage_id") or None
        drift = timeline = None
        if len(current) > 0 and features:
            source: Any = current
            if dask:
                from boucle.monitor.distributed import log_source

                source = log_source(log_dir(config), version, start)
            drift = check_drift(ctx, reference_manifest, source, alpha=alpha, workers=workers)
            notes.extend(drift.runtime.get("notes", []))
            profile = ReferenceProfile.from_bytes(
                store.get_bytes(reference_manifest["reference_digest"])
            )
            timeline = drift_timeline(
                profile,
                current,
                mine["time"].reset_index(drop=True),
                window=window,
                alpha=alpha,
                tests=configured_drift_tests(settings.drift_tests),
            )
        else:
            notes.append(
                f"no rows: version {version} scored no record in this window "
                f"({len(scored.rows)} scored by other versions); drift not computed."
            )
        performance = performance_report(
            scored,
            task=_task(config, scored.classes),
            positive_class=config.data.positive_class,
            sensitive=tuple(config.data.sensitive),
            window=window,
        )
        ops = operations_report(log)
        page = render_monitor_report(
            title=f"{config.project} v{version} monitoring",
            drift=drift,
            timeline=timeline or [],
            performance=performance,
            ops=ops,
        )
        document = {
            "model": info.model_name,
            "version": version,
            "rows": len(current),
            "since": None if start is None else start.isoformat(),
            "drift": None if drift is None else drift.to_dict(),
            "timeline": [
                {"start": w.start, "rows": w.rows, "drifted": w.report.drifted_features}
                for w in timeline or []
            ],
            "performance": performance.to_dict(),
            "ops": ops.to_dict(),
            "notes": notes,
        }
        json_path = store.write_bytes_atomic(
            f"monitor/{ctx.run_id}.json", canonical_json(_finite(document))
        )
        report_path = store.write_bytes_atomic(f"monitor/{ctx.run_id}.html", page.encode())
        if html is not None:
            report_path = str(write_report(page, html))
        overall = performance.overall
        ctx.ledger_event(
            "performance_checked",
            {
                "model": info.model_name,
                "version": int(info.version),
                "scored": overall.scored,
                "labelled": overall.labelled,
                "measured": {k: m.value for k, m in overall.measured.items()},
                "estimated": overall.estimated,
                "ops": ops.values(),
                "feedback": performance.feedback,
                "report_digest": store.put_bytes(page.encode()),
            },
        )
        result = LogMonitoring(
            run_id=ctx.run_id,
            model_name=info.model_name,
            version=version,
            rows=len(current),
            drift=drift,
            timeline=timeline or [],
            performance=performance,
            ops=ops,
            report_path=report_path,
            json_path=json_path,
            notes=tuple(notes),
        )
        if alerts and config.alerts.rules:
            from boucle.monitor.alerts import fire_configured_alerts

            fire_configured_alerts(
                config,
                result.values(),
                ledger=ledger,
                run_id=ctx.run_id,
                lineage_id=ctx.lineage_id,
                context={"model": info.model_name, "version": info.version, "source": "log"},
                namespaces={"drift", "performance", "ops"},
            )
    return result


def _finite(value: Any) -> Any:
    """Strict JSON: NaN and infinities become None, recursively."""
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value
