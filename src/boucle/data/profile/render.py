"""The profile as an HTML page: overview, columns, correlations, target, and the checks.

The sections are built from :mod:`boucle.reports` blocks and rendered by
:func:`boucle.reports.render_report`; validation, PII and representation results come in as
plain dicts (see :mod:`boucle.data.profile.render_findings` for their shapes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from boucle.data.profile.model import ColumnProfile, CorrelationMatrix, TableProfile
from boucle.data.profile.render_findings import (
    pii_section,
    representation_section,
    validation_section,
)
from boucle.reports import (
    Badge,
    Block,
    Cell,
    Figure,
    Grid,
    Kpi,
    KpiGrid,
    Panel,
    Section,
    Table,
    Text,
    bar_chart_svg,
    compact_number,
    format_bytes,
    format_number,
    format_share,
    heatmap_svg,
    histogram_svg,
    render_report,
)

__all__ = ["render_profile"]

_TOP_PAIRS = 15
_BARS = 10  # most frequent values drawn per column (30 classes for the target)
_MEASURES = {
    "abs_spearman": "|Spearman|",
    "correlation_ratio": "correlation ratio",
    "cramers_v": "Cramér's V",
}


def _date_tick(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%d")


def _with_share(count: int, total: int) -> str:
    return f"{format_number(count)} ({format_share(count / total if total else 0.0)})"


def _overview(profile: TableProfile) -> Section:
    facts = profile.overview
    kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(facts.kinds.items()))
    duplicate_share = facts.duplicate_rows / facts.rows if facts.rows else 0.0
    flagged = sum(1 for column in profile.columns if column.warnings)
    kpis = KpiGrid(
        [
            Kpi("Rows", format_number(facts.rows)),
            Kpi("Columns", format_number(facts.columns), kinds),
            Kpi(
                "Missing cells",
                format_number(facts.missing_cells),
                format_share(facts.missing_share),
                "warn" if facts.missing_cells else "good",
            ),
            Kpi(
                "Duplicate rows",
                format_number(facts.duplicate_rows),
                format_share(duplicate_share),
                "warn" if facts.duplicate_rows else "good",
            ),
            Kpi("Memory", format_bytes(facts.memory_bytes), "in pandas"),
            Kpi(
                "Columns with warnings", format_number(flagged), tone="warn" if flagged else "good"
            ),
        ]
    )
    rows: list[list[Cell]] = []
    for column in profile.columns:
        warning: Cell = Badge(", ".join(column.warnings), "warn") if column.warnings else None
        rows.append(
            [
                column.name,
                column.kind,
                column.dtype,
                column.missing,
                format_share(column.missing_share),
                column.distinct,
                warning,
            ]
        )
    table = Table(["Column", "Kind", "Type", "Missing", "Missing %", "Distinct", "Warnings"], rows)
    return Section("Overview", [kpis, table], anchor="overview")


def _numeric_rows(column: ColumnProfile) -> list[list[Cell]]:
    summary = column.summary
    assert summary is not None
    rows: list[list[Cell]] = [["Mean", summary.mean], ["Std", summary.std], ["Min", summary.min]]
    rows += [[name, value] for name, value in summary.quantiles.items()]
    rows += [
        ["Max", summary.max],
        ["Zeros", summary.zeros],
        ["Negatives", summary.negatives],
        ["Skewness", summary.skewness],
    ]
    if summary.infinite:
        rows.append(["Infinite", summary.infinite])
    return rows


def _frequencies(
    pairs: Sequence[tuple[str, int]], total: int, distinct: int, title: str, caption: str
) -> Figure:
    """A bar per (value, count) pair, plus one bar pooling the values left out."""
    labels = [value for value, _ in pairs]
    counts = [count for _, count in pairs]
    other = total - sum(counts)
    if other > 0:
        labels.append(f"(other {format_number(distinct - len(pairs))} values)")
        counts.append(other)
    shown = [_with_share(count, total) for count in counts]
    return Figure(bar_chart_svg(labels, counts, title=title, value_labels=shown), caption)


def _column_panel(index: int, column: ColumnProfile) -> Panel:
    total = column.count + column.missing
    rows: list[list[Cell]] = [
        ["Count", column.count],
        ["Missing", _with_share(column.missing, total)],
        ["Distinct", column.distinct],
    ]
    chart: Block = Text("No values to chart.")
    if column.kind == "numeric" and column.summary is not None:
        rows += _numeric_rows(column)
    if column.kind == "datetime" and column.time_range is not None:
        rows += [["First", column.time_range[0]], ["Last", column.time_range[1]]]
    if column.histogram is not None:
        ticks = _date_tick if column.kind == "datetime" else compact_number
        svg = histogram_svg(
            column.histogram.edges,
            column.histogram.counts,
            title=f"Histogram of {column.name}",
            tick_format=ticks,
        )
        chart = Figure(svg, f"{len(column.histogram.counts)} bins")
    elif column.top_values:
        shown = column.top_values[:_BARS]
        other = column.count - sum(count for _, count in shown)
        if other:
            rows.append(["Other values", _with_share(other, column.count)])
        title = f"Most frequent values of {column.name}"
        chart = _frequencies(shown, column.count, column.distinct, title, "Most frequent values")
    badges = [Badge(flag, "warn") for flag in column.warnings]
    return Panel(
        column.name,
        [Grid([Table(["Statistic", "Value"], rows, compact=True), chart])],
        anchor=f"column-{index + 1}",
        subtitle=f"{column.kind}, {column.dtype}",
        badges=badges,
    )


def _heatmap(matrix: CorrelationMatrix, title: str, *, signed: bool) -> Block:
    if len(matrix.columns) < 2:
        return Text(f"{title}: fewer than two columns qualify.")
    scale: Literal["diverging", "sequential"] = "diverging" if signed else "sequential"
    return Figure(heatmap_svg(matrix.columns, matrix.values, title=title, scale=scale), title)


def _strongest(matrix: CorrelationMatrix, limit: int) -> list[tuple[str, str, float]]:
    pairs = []
    for i, first in enumerate(matrix.columns):
        for j in range(i + 1, len(matrix.columns)):
            value = matrix.values[i][j]
            if value is not None:
                pairs.append((first, matrix.columns[j], value))
    return sorted(pairs, key=lambda pair: -abs(pair[2]))[:limit]


def _correlations(profile: TableProfile) -> Section:
    found = profile.correlations
    note = Text(
        f"Measured on {format_number(found.sample_rows)} of {format_number(profile.overview.rows)}"
        " rows (uniform sample). Association: |Spearman| between numeric columns, Cramér's V"
        " between categorical columns, correlation ratio between a numeric and a categorical one."
    )
    numeric = Grid(
        [
            _heatmap(found.pearson, "Pearson (numeric)", signed=True),
            _heatmap(found.spearman, "Spearman (numeric)", signed=True),
        ]
    )
    mixed = _heatmap(found.association, "Association (numeric and categorical)", signed=False)
    pairs: list[list[Cell]] = [
        [a, b, value] for a, b, value in _strongest(found.association, _TOP_PAIRS)
    ]
    table = Table(
        ["Column", "Column", "Association"], pairs, caption="Strongest associations", decimals=3
    )
    return Section("Correlations", [note, numeric, mixed, table], anchor="correlations")


def _target(profile: TableProfile) -> Section:
    target = profile.target
    if target is None:
        text = Text("No target column was given.")
        return Section("Target", [text], anchor="target", badge=Badge("not set"))
    column = profile[target.name]
    missing = Kpi(
        "Missing", format_number(target.missing), tone="bad" if target.missing else "good"
    )
    blocks: list[Block]
    if target.task == "classification":
        imbalance = target.imbalance or 1.0
        blocks = [
            KpiGrid(
                [
                    Kpi("Task", target.task),
                    Kpi("Classes", format_number(column.distinct)),
                    Kpi(
                        "Imbalance",
                        format_number(imbalance, digits=3),
                        "majority / minority",
                        "warn" if imbalance > 10 else "neutral",
                    ),
                    missing,
                ]
            ),
            _frequencies(
                target.classes[: 3 * _BARS],
                column.count,
                column.distinct,
                f"Classes of {target.name}",
                "Class counts",
            ),
        ]
    else:
        blocks = [KpiGrid([Kpi("Task", target.task), missing])]
        if target.histogram is not None:
            edges, counts = target.histogram.edges, target.histogram.counts
            svg = histogram_svg(edges, counts, title=f"Histogram of {target.name}")
            blocks.append(Figure(svg, "Target distribution"))
    rows: list[list[Cell]] = [
        [other, _MEASURES.get(method, method), value]
        for other, method, value in target.associations[:_TOP_PAIRS]
    ]
    header = ["Column", "Measure", "Association with the target"]
    blocks.append(Table(header, rows, caption="Strongest associations", decimals=3))
    return Section(f"Target: {target.name}", blocks, anchor="target")


def render_profile(
    profile: TableProfile,
    *,
    validation: Mapping[str, Any] | None = None,
    pii: Mapping[str, Any] | None = None,
    representation: Mapping[str, Any] | None = None,
    title: str = "Data profile",
    generated_at: datetime | None = None,
) -> str:
    """Render ``profile`` and the optional check results as one self-contained HTML page.

    Sections: overview, columns (statistics with a histogram or a bar chart of the most
    frequent values), correlations (heatmaps), target, validation results, PII findings and
    representation. ``validation``, ``pii`` and ``representation`` are plain dicts whose
    shapes :mod:`boucle.data.profile.render_findings` documents (``PiiReport.to_dict()`` fits
    as is); a section whose dict is ``None`` says "not run". ``generated_at`` fixes the time in
    the footer (for reproducible output). Raises :class:`~boucle.errors.DataError` when a dict
    is missing a field.
    """
    facts = profile.overview
    panels: list[Block] = [_column_panel(i, column) for i, column in enumerate(profile.columns)]
    sections = [
        _overview(profile),
        Section("Columns", panels, anchor="columns"),
        _correlations(profile),
        _target(profile),
        validation_section(validation),
        pii_section(pii),
        representation_section(representation),
    ]
    subtitle = f"{format_number(facts.rows)} rows, {format_number(facts.columns)} columns"
    return render_report(title, sections, subtitle=subtitle, generated_at=generated_at)
