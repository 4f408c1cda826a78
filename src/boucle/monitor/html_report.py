"""The monitoring report: drift (with a timeline per feature), performance, operations.

One self-contained HTML page through the shared rendering layer (:mod:`boucle.reports`):
inline SVG, no script, nothing fetched. Every part is optional: a report on a CSV of
production rows has drift only; one on the prediction log adds performance and operations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from boucle.reports import (
    Badge,
    Cell,
    Figure,
    Grid,
    Kpi,
    KpiGrid,
    Panel,
    Section,
    Table,
    Text,
    format_number,
    line_chart_svg,
    render_report,
)

if TYPE_CHECKING:
    import pandas as pd

    from boucle.monitor.operations import OpsReport
    from boucle.monitor.performance import PerformanceReport, WindowPerformance
    from boucle.monitor.profile import ReferenceProfile
    from boucle.monitor.report import DriftReport
    from boucle.plugins.protocols import DriftTest

__all__ = ["DriftWindow", "drift_timeline", "render_monitor_report"]


@dataclass(frozen=True)
class DriftWindow:
    """The drift report of one time window of the current data."""

    start: str
    rows: int
    report: DriftReport


def drift_timeline(
    reference: ReferenceProfile,
    current: pd.DataFrame,
    times: pd.Series,
    *,
    window: str = "1D",
    alpha: float = 0.01,
    min_rows: int = 50,
    tests: Sequence[DriftTest | str] = (),
) -> list[DriftWindow]:
    """Drift of each ``window`` of ``current`` (rows timed by ``times``) against ``reference``.

    Windows with fewer than ``min_rows`` rows are skipped: a handful of rows tests nothing.
    ``tests`` adds plug-in drift tests, as in :func:`~boucle.monitor.compute_drift`.
    """
    from boucle.monitor.drift import compute_drift

    starts = times.dt.floor(window)
    timeline: list[DriftWindow] = []
    for start, part in current.groupby(starts.to_numpy(), sort=True):
        if len(part) < min_rows:
            continue
        report = compute_drift(reference, part, alpha=alpha, tests=tests)
        timeline.append(DriftWindow(_iso(start), len(part), report))
    return timeline


def _iso(value: Any) -> str:
    import pandas as pd

    return str(pd.Timestamp(value).isoformat())


def render_monitor_report(
    *,
    title: str,
    drift: DriftReport | None = None,
    timeline: Sequence[DriftWindow] = (),
    performance: PerformanceReport | None = None,
    ops: OpsReport | None = None,
    generated_at: datetime | None = None,
) -> str:
    """The whole monitoring page as one HTML string."""
    sections = [_summary(drift, performance, ops)]
    if drift is not None:
        sections.append(_drift_section(drift))
    if len(timeline) >= 2:
        sections.append(_timeline_section(timeline))
    if performance is not None:
        sections.append(_performance_section(performance))
    if ops is not None:
        sections.append(_ops_section(ops))
    return render_report(
        title, sections, subtitle="monitoring: drift, performance, operations",
        generated_at=generated_at,
    )  # fmt: skip


def _metric(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _summary(
    drift: DriftReport | None, performance: PerformanceReport | None, ops: OpsReport | None
) -> Section:
    kpis: list[Kpi] = []
    if drift is not None:
        drifted = len(drift.drifted_features)
        kpis.append(
            Kpi(
                "data drift",
                "drift" if drift.dataset_drift else "no drift",
                f"{drifted}/{len(drift.features)} features, FDR {drift.alpha:g}",
                "bad" if drift.dataset_drift else "good",
            )
        )
    if performance is not None:
        overall = performance.overall
        headline = "f1" if "f1" in overall.measured else next(iter(overall.measured), "")
        measured = overall.measured.get(headline)
        note = f"{overall.labelled} labelled of {overall.scored} scored"
        if measured is not None and measured.low is not None:
            note += f"; {performance.confidence:.0%} CI {measured.low:.3f}-{measured.high:.3f}"
        kpis.append(
            Kpi(f"measured {headline}", _metric(measured.value if measured else None), note)
        )
        estimated = overall.estimated.get(headline)
        if estimated is not None:
            kpis.append(Kpi(f"estimated {headline}", _metric(estimated), "from probabilities"))
    if ops is not None:
        total = next((line for line in ops.lines if line.version == "all"), None)
        if total is not None:
            kpis.append(
                Kpi(
                    "p99 latency",
                    f"{_metric(total.p99_ms, 1)} ms",
                    f"p50 {_metric(total.p50_ms, 1)} ms",
                )
            )
            kpis.append(
                Kpi(
                    "error rate",
                    "n/a" if total.error_rate is None else f"{total.error_rate:.2%}",
                    f"{total.errors} of {total.requests} requests",
                    "bad" if total.error_rate else "good",
                )
            )
    blocks: list[Any] = [KpiGrid(kpis)] if kpis else [Text("Nothing was monitored.", "warn")]
    return Section("Summary", blocks)


def _drift_section(drift: DriftReport) -> Section:
    rows: list[list[Cell]] = []
    for row in sorted(drift.features, key=lambda r: (not r.drifted, r.q_value)):
        rows.append(
            [
                row.feature,
                row.kind,
                row.effect_name,
                row.effect_size,
                row.p_value,
                row.q_value,
                Badge("drift", "bad") if row.drifted else Badge("stable", "good"),
            ]
        )
    blocks: list[Any] = [
        Table(
            ["feature", "kind", "effect", "size", "p", "q (FDR)", ""],
            rows,
            caption="Calibrated p-values (reference resampled against itself); q controls the "
            "false discovery rate across features. The effect size says how much moved.",
            decimals=4,
        )
    ]
    if drift.multivariate is not None:
        m = drift.multivariate
        blocks.append(
            Text(
                f"Domain classifier: AUC {m.auc:.3f} (null {m.null_mean:.3f} ± {m.null_std:.3f}, "
                f"p {m.p_value:.3g}); {'drift' if m.drifted else 'no drift'}. Top features: "
                f"{', '.join(m.top_features[:5]) or 'none'}.",
                "bad" if m.drifted else "neutral",
            )
        )
    badge = Badge(
        f"{len(drift.drifted_features)} drifted", "bad" if drift.dataset_drift else "good"
    )
    return Section("Data drift", blocks, badge=badge)


def _timeline_section(timeline: Sequence[DriftWindow]) -> Section:
    x = list(range(len(timeline)))
    labels = [w.start[:16].replace("T", " ") for w in timeline]
    names = [row.feature for row in timeline[-1].report.features]
    panels: list[Any] = []
    for name in names:
        sizes: list[float | None] = []
        flagged = []
        for window in timeline:
            try:
                row = window.report.feature(name)
            except KeyError:
                sizes.append(None)
                continue
            sizes.append(row.effect_size)
            if row.drifted:
                flagged.append(window.start[:10])
        kind = timeline[-1].report.feature(name).effect_name
        chart = line_chart_svg(x, {kind: sizes}, title=name, x_labels=labels, y_label=kind)
        caption = f"drift in {', '.join(flagged)}" if flagged else "no drifted window"
        panels.append(Figure(chart, caption))
    rows_per_window = ", ".join(f"{w.start[:10]}: {w.rows}" for w in timeline)
    return Section(
        "Drift timeline",
        [Text(f"Effect size per window (rows per window: {rows_per_window})."), Grid(panels)],
    )


def _window_rows(windows: Sequence[WindowPerformance], names: Sequence[str]) -> list[list[Cell]]:
    rows: list[list[Cell]] = []
    for window in windows:
        line: list[Cell] = [window.start[:16].replace("T", " "), window.scored, window.labelled]
        for name in names:
            metric = window.measured.get(name)
            if metric is None or metric.value is None:
                line.append(None)
            elif metric.low is None:
                line.append(f"{metric.value:.3f}")
            else:
                line.append(f"{metric.value:.3f} [{metric.low:.3f}, {metric.high:.3f}]")
        line.append(_metric(window.estimated.get("accuracy")) if window.estimated else None)
        rows.append(line)
    return rows


def _performance_section(report: PerformanceReport) -> Section:
    names = list(report.overall.measured)
    blocks: list[Any] = []
    windows = report.windows
    if len(windows) >= 2:
        x = list(range(len(windows)))
        labels = [w.start[:10] for w in windows]
        headline = "f1" if "f1" in names else names[0]
        series: dict[str, list[float | None]] = {
            f"measured {headline}": [w.measured[headline].value for w in windows],
            "interval low": [w.measured[headline].low for w in windows],
            "interval high": [w.measured[headline].high for w in windows],
        }
        if any(w.estimated.get(headline) is not None for w in windows):
            series[f"estimated {headline}"] = [w.estimated.get(headline) for w in windows]
        blocks.append(
            Figure(
                line_chart_svg(x, series, title=f"{headline} per {report.window}", x_labels=labels),
                "Measured on the records with feedback; estimated from the probabilities of all.",
            )
        )
    header = ["window", "scored", "labelled", *names, "estimated accuracy"]
    rows = _window_rows([report.overall, *windows], names)
    blocks.append(Table(header, rows, caption=f"{report.confidence:.0%} bootstrap intervals."))
    for column, groups in report.slices.items():
        slice_rows: list[list[Cell]] = []
        for group, metrics in groups.items():
            first = next(iter(metrics.values()))
            slice_rows.append([group, first.n, *(_metric(m.value) for m in metrics.values())])
        blocks.append(Panel(f"by {column}", [Table(["group", "labelled", *names], slice_rows)]))
    feedback = report.feedback
    blocks.append(
        Text(
            f"Feedback: {feedback.get('received', 0)} received, "
            f"{feedback.get('unmatched_request_id', 0)} for unknown request ids, "
            f"{feedback.get('ambiguous_multi_record', 0)} on multi-record requests, "
            f"{feedback.get('unknown_label', 0)} with a label the model does not know."
        )
    )
    blocks.extend(Text(note, "warn") for note in report.notes)
    return Section("Model performance", blocks)


def _ops_section(ops: OpsReport) -> Section:
    rows: list[list[Cell]] = [
        [
            line.version,
            line.requests,
            line.records,
            None if line.requests_per_s is None else format_number(line.requests_per_s),
            line.p50_ms,
            line.p99_ms,
            None if line.error_rate is None else f"{line.error_rate:.2%}",
        ]
        for line in ops.lines
    ]
    span = f"{ops.start} to {ops.end}" if ops.start else "no request"
    return Section(
        "Operations",
        [
            Table(
                ["model version", "requests", "records", "req/s", "p50 ms", "p99 ms", "errors"],
                rows,
                caption=f"From the prediction log, {span}; {ops.shadow_requests} shadow calls.",
                decimals=2,
            )
        ],
    )
