"""HTML reports shared by every boucle report (data profile, evaluation, monitoring).

A report is a title and a list of :class:`Section` made of blocks (:class:`KpiGrid`,
:class:`Table`, :class:`Figure`, :class:`Text`, :class:`Panel`, :class:`Grid`).
:func:`render_report` turns them into one self-contained page (inline CSS, charts as inline
SVG drawn by :mod:`boucle.reports.charts`, no script, no network) and :func:`write_report`
writes it atomically::

    from boucle.reports import Figure, Section, histogram_svg, render_report, write_report

    chart = histogram_svg(edges, counts, title="age")
    html = render_report("Adult", [Section("Ages", [Figure(chart)])])
    write_report(html, "reports/adult.html")
"""

from __future__ import annotations

from boucle.reports.blocks import (
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
    Tone,
    format_bytes,
    format_number,
    format_share,
    slugify,
)
from boucle.reports.charts import (
    bar_chart_svg,
    compact_number,
    heatmap_svg,
    histogram_svg,
    line_chart_svg,
)
from boucle.reports.render import DEFAULT_TEMPLATE, render_report, write_report

__all__ = [
    "DEFAULT_TEMPLATE",
    "Badge",
    "Block",
    "Cell",
    "Figure",
    "Grid",
    "Kpi",
    "KpiGrid",
    "Panel",
    "Section",
    "Table",
    "Text",
    "Tone",
    "bar_chart_svg",
    "compact_number",
    "format_bytes",
    "format_number",
    "format_share",
    "heatmap_svg",
    "histogram_svg",
    "line_chart_svg",
    "render_report",
    "slugify",
    "write_report",
]
