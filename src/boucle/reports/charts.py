"""Charts as static inline SVG, drawn in Python: histogram, bar chart, heatmap, line chart.

We write our own SVG instead of using plotly or Vega because a report must open offline, with
no script and no network, stay small at thousands of charts, and be byte-for-byte reproducible.
Each function returns :class:`~markupsafe.Markup` holding one ``<svg>`` element that is also
well-formed XML; every label is escaped (see :mod:`boucle.reports.svg`). Hovering a bar or a
cell shows its exact value (an SVG ``<title>``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Literal

from markupsafe import Markup

from boucle.reports import svg
from boucle.reports.blocks import format_number

__all__ = ["bar_chart_svg", "compact_number", "heatmap_svg", "histogram_svg", "line_chart_svg"]

_LEFT, _RIGHT, _TOP, _BOTTOM = 56.0, 14.0, 12.0, 38.0


def compact_number(value: float) -> str:
    """A short axis label: ``1200`` → ``1.2k``, ``3.5e6`` → ``3.5M``, ``0.25`` → ``0.25``."""
    magnitude = abs(value)
    for limit, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if magnitude >= limit:
            return f"{value / limit:.3g}{suffix}"
    if magnitude == 0 or magnitude >= 0.01:
        return f"{value:.3g}"
    return f"{value:.1e}"


def _y_axis(top: float, bottom: float, left: float, right: float, peak: float) -> list[str]:
    """Horizontal grid lines and labels for counts from 0 to ``peak``; returns SVG parts."""
    parts = []
    for tick in svg.axis_ticks(0.0, peak, 4):
        y = bottom - (bottom - top) * tick / peak
        parts.append(svg.line(left, y, right, y, css="gridline"))
        parts.append(svg.text(left - 6, y + 4, compact_number(tick), anchor="end", css="tick"))
    return parts


def histogram_svg(
    edges: Sequence[float],
    counts: Sequence[int],
    *,
    title: str,
    x_label: str = "",
    tick_format: Callable[[float], str] = compact_number,
    width: float = 480.0,
    height: float = 220.0,
) -> Markup:
    """Draw a histogram from bin ``edges`` (one more than ``counts``), as from ``np.histogram``."""
    if len(edges) != len(counts) + 1 or not counts:
        raise ValueError(
            f"need len(edges) == len(counts) + 1 >= 2, got {len(edges)}, {len(counts)}"
        )
    low, high = float(edges[0]), float(edges[-1])
    span = (high - low) or 1.0
    plot_left, plot_right = _LEFT, width - _RIGHT
    plot_top, plot_bottom = _TOP, height - _BOTTOM
    peak = float(max(max(counts), 1))
    scale_x = (plot_right - plot_left) / span
    parts = _y_axis(plot_top, plot_bottom, plot_left, plot_right, peak)
    for left_edge, right_edge, count in zip(edges[:-1], edges[1:], counts, strict=True):
        x = plot_left + (float(left_edge) - low) * scale_x
        bar_width = max((float(right_edge) - float(left_edge)) * scale_x - 1.0, 1.0)
        bar_height = (plot_bottom - plot_top) * count / peak
        label = f"[{tick_format(left_edge)}, {tick_format(right_edge)}): {format_number(count)}"
        parts.append(
            svg.rect(
                x,
                plot_bottom - bar_height,
                bar_width,
                bar_height,
                fill=svg.PALETTE[0],
                title=label,
                css="bar",
            )
        )
    parts.append(svg.line(plot_left, plot_bottom, plot_right, plot_bottom))
    for tick in svg.axis_ticks(low, high, 5):
        x = plot_left + (tick - low) * scale_x
        parts.append(svg.line(x, plot_bottom, x, plot_bottom + 4))
        parts.append(svg.text(x, plot_bottom + 16, tick_format(tick), anchor="middle", css="tick"))
    if x_label:
        parts.append(
            svg.text(
                (plot_left + plot_right) / 2, height - 4, x_label, anchor="middle", css="label"
            )
        )
    return svg.document(width, height, title, parts, css="histogram")


def bar_chart_svg(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str,
    value_labels: Sequence[str] | None = None,
    width: float = 480.0,
    label_width: float = 150.0,
) -> Markup:
    """Draw horizontal bars, one per label, longest scale = largest value (values >= 0)."""
    if len(labels) != len(values) or (
        value_labels is not None and len(value_labels) != len(values)
    ):
        raise ValueError("labels, values and value_labels must have the same length")
    row, top = 22.0, 6.0
    height = top * 2 + row * max(len(labels), 1)
    texts = value_labels if value_labels is not None else [format_number(v) for v in values]
    peak = max([float(v) for v in values] + [1e-12])
    bar_space = width - label_width - 90.0
    parts = []
    for index, (label, value, shown) in enumerate(zip(labels, values, texts, strict=True)):
        y = top + index * row
        bar = bar_space * max(float(value), 0.0) / peak
        parts.append(
            svg.text(
                label_width - 8, y + row / 2 + 4, svg.shorten(label, 22), anchor="end", css="tick"
            )
        )
        parts.append(
            svg.rect(
                label_width,
                y + 3,
                max(bar, 1.0),
                row - 6,
                fill=svg.PALETTE[0],
                title=f"{label}: {shown}",
                css="bar",
            )
        )
        parts.append(svg.text(label_width + bar + 6, y + row / 2 + 4, shown, css="value"))
    parts.append(svg.line(label_width, top, label_width, height - top))
    return svg.document(width, height, title, parts, css="bars")


def heatmap_svg(
    labels: Sequence[str],
    matrix: Sequence[Sequence[float | None]],
    *,
    title: str,
    scale: Literal["diverging", "sequential"] = "diverging",
) -> Markup:
    """Draw a square matrix (correlations): ``diverging`` for [-1, 1], ``sequential`` for [0, 1].

    Cells show their value when there is room; ``None`` cells (not computed) are grey.
    """
    size = len(labels)
    if size == 0 or len(matrix) != size or any(len(row) != size for row in matrix):
        raise ValueError(f"heatmap needs a non-empty {size}x{size} matrix")
    colour = svg.diverging_colour if scale == "diverging" else svg.sequential_colour
    cell = max(10.0, min(36.0, 420.0 / size))
    left, top = 140.0, 130.0
    side = cell * size
    width, height = left + side + 70.0, top + side + 10.0
    parts = []
    for index, label in enumerate(labels):
        centre = index * cell + cell / 2
        parts.append(
            svg.text(left - 6, top + centre + 4, svg.shorten(label, 22), anchor="end", css="tick")
        )
        parts.append(
            svg.text(left + centre + 4, top - 6, svg.shorten(label, 22), css="tick", rotate=-90)
        )
    for i, row in enumerate(matrix):
        for j, value in enumerate(row):
            shown = "not computed" if value is None else f"{value:.3f}"
            parts.append(
                svg.rect(
                    left + j * cell,
                    top + i * cell,
                    cell - 1,
                    cell - 1,
                    fill=colour(value),
                    title=f"{labels[i]} / {labels[j]}: {shown}",
                    css="cell",
                )
            )
            if value is not None and cell >= 28 and math.isfinite(value):
                css = "cell-value dark" if abs(value) > 0.6 else "cell-value"
                parts.append(
                    svg.text(
                        left + j * cell + cell / 2,
                        top + i * cell + cell / 2 + 4,
                        f"{value:.2f}",
                        anchor="middle",
                        css=css,
                    )
                )
    low = -1.0 if scale == "diverging" else 0.0
    steps = 10
    for step in range(steps + 1):
        value = 1.0 - (1.0 - low) * step / steps
        y = top + side * step / (steps + 1)
        parts.append(svg.rect(left + side + 14, y, 14, side / (steps + 1), fill=colour(value)))
        if step in (0, steps // 2, steps):
            parts.append(svg.text(left + side + 32, y + 9, f"{value:g}", css="tick"))
    return svg.document(width, height, title, parts, css="heatmap")


def line_chart_svg(
    x: Sequence[float],
    series: Mapping[str, Sequence[float | None]],
    *,
    title: str,
    x_labels: Sequence[str] | None = None,
    y_label: str = "",
    width: float = 640.0,
    height: float = 240.0,
) -> Markup:
    """Draw one line per series over ``x``; ``None`` values leave gaps (timelines, drift).

    ``x_labels`` (same length as ``x``) replaces the numeric x tick labels, e.g. dates.
    """
    if any(len(values) != len(x) for values in series.values()) or not x:
        raise ValueError("every series must have one value per x, and x must not be empty")
    if x_labels is not None and len(x_labels) != len(x):
        raise ValueError("x_labels must have one label per x")
    finite = [v for values in series.values() for v in values if v is not None and math.isfinite(v)]
    y_low, y_high = (min(finite), max(finite)) if finite else (0.0, 1.0)
    if y_high == y_low:
        y_low, y_high = y_low - 1.0, y_high + 1.0
    x_low, x_high = float(min(x)), float(max(x))
    x_span = (x_high - x_low) or 1.0
    plot_left, plot_right, plot_top, plot_bottom = (
        _LEFT,
        width - _RIGHT,
        _TOP + 16,
        height - _BOTTOM,
    )

    def to_x(value: float) -> float:
        return plot_left + (float(value) - x_low) / x_span * (plot_right - plot_left)

    def to_y(value: float) -> float:
        return plot_bottom - (value - y_low) / (y_high - y_low) * (plot_bottom - plot_top)

    parts = []
    for tick in svg.axis_ticks(y_low, y_high, 4):
        parts.append(svg.line(plot_left, to_y(tick), plot_right, to_y(tick), css="gridline"))
        parts.append(
            svg.text(plot_left - 6, to_y(tick) + 4, compact_number(tick), anchor="end", css="tick")
        )
    if x_labels is None:
        x_ticks = [(tick, compact_number(tick)) for tick in svg.axis_ticks(x_low, x_high, 6)]
    else:
        stride = max(1, math.ceil(len(x) / 6))
        x_ticks = [(float(x[i]), x_labels[i]) for i in range(0, len(x), stride)]
    for tick, label in x_ticks:
        parts.append(svg.text(to_x(tick), plot_bottom + 16, label, anchor="middle", css="tick"))
    parts.append(svg.line(plot_left, plot_bottom, plot_right, plot_bottom))
    for index, (name, values) in enumerate(series.items()):
        colour = svg.PALETTE[index % len(svg.PALETTE)]
        runs: list[list[str]] = [[]]
        for xv, yv in zip(x, values, strict=True):
            if yv is None or not math.isfinite(yv):
                runs.append([])
            else:
                runs[-1].append(f"{to_x(xv):.2f},{to_y(yv):.2f}")
        for run in (r for r in runs if r):
            parts.append(
                f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" '
                f'class="series">{svg.tooltip(name)}</polyline>'
            )
        legend_x = plot_left + index * 130.0
        parts.append(svg.rect(legend_x, 4, 10, 10, fill=colour))
        parts.append(svg.text(legend_x + 14, 13, svg.shorten(name, 18), css="tick"))
    if y_label:
        parts.append(
            svg.text(
                12, (plot_top + plot_bottom) / 2, y_label, anchor="middle", css="label", rotate=-90
            )
        )
    return svg.document(width, height, title, parts, css="line")
