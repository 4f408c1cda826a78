"""The explanation charts as inline SVG: SHAP summary (beeswarm), signed contributions, ICE.

Drawn with the same low-level helpers as every boucle report (:mod:`boucle.reports.svg`), so
text is escaped in one place and the same data gives the same bytes. The shared chart module
has no signed bar or swarm chart, hence these three.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from markupsafe import Markup

from boucle.reports import svg
from boucle.reports.charts import compact_number

__all__ = ["beeswarm_svg", "contributions_svg", "ice_svg"]

_LOW, _HIGH, _NEUTRAL = (0, 114, 178), (213, 94, 0), "#8c959f"
_POSITIVE, _NEGATIVE = "#d55e00", "#0072b2"


def _colour(value: float | None) -> str:
    """Blue (low feature value) to orange-red (high); grey when there is no order."""
    if value is None or not math.isfinite(value):
        return _NEUTRAL
    t = max(0.0, min(1.0, value))
    return "#" + "".join(f"{round(a + (b - a) * t):02x}" for a, b in zip(_LOW, _HIGH, strict=True))


def _scale(low: float, high: float, left: float, right: float) -> Any:
    span = (high - low) or 1.0
    return lambda value: left + (value - low) / span * (right - left)


def beeswarm_svg(
    features: Sequence[str],
    values: Sequence[Sequence[float]],
    colours: Sequence[Sequence[float | None]],
    *,
    title: str,
    width: float = 720.0,
) -> Markup:
    """One row of dots per feature: x = SHAP value, colour = the feature's value rank.

    Dots falling into the same narrow x bin are stacked up and down (a swarm), so the density
    of each row shows how often the feature pushes the output by that much.
    """
    label_width, row, top, bottom = 150.0, 34.0, 8.0, 34.0
    height = top + bottom + row * max(len(features), 1)
    flat = [v for series in values for v in series if math.isfinite(v)] or [0.0]
    bound = max(abs(min(flat)), abs(max(flat)), 1e-12)
    to_x = _scale(-bound, bound, label_width + 8, width - 16)
    parts: list[str] = []
    zero = to_x(0.0)
    parts.append(svg.line(zero, top, zero, height - bottom, css="gridline"))
    for index, (name, series, shades) in enumerate(zip(features, values, colours, strict=True)):
        centre = top + row * index + row / 2
        parts.append(
            svg.text(label_width - 4, centre + 4, svg.shorten(name, 22), anchor="end", css="tick")
        )
        stacks: dict[int, int] = {}
        for value, shade in zip(series, shades, strict=True):
            if not math.isfinite(value):
                continue
            x = to_x(value)
            slot = int(x // 3)
            depth = stacks.get(slot, 0)
            stacks[slot] = depth + 1
            offset = ((depth + 1) // 2) * 2.2 * (1 if depth % 2 else -1)
            y = centre + max(-row / 2 + 2, min(row / 2 - 2, offset))
            parts.append(
                f'<circle cx="{x:.2f}" cy="{y:.2f}" r="1.8" fill="{_colour(shade)}"'
                ' fill-opacity="0.8"/>'
            )
    axis_y = height - bottom
    parts.append(svg.line(label_width + 8, axis_y, width - 16, axis_y))
    for tick in svg.axis_ticks(-bound, bound, 6):
        parts.append(
            svg.text(to_x(tick), axis_y + 14, compact_number(tick), anchor="middle", css="tick")
        )
    parts.append(
        svg.text(
            (label_width + width) / 2,
            height - 4,
            "SHAP value (blue: low feature value, red: high, grey: categorical)",
            anchor="middle",
            css="label",
        )
    )
    return svg.document(width, height, title, parts, css="beeswarm")


def contributions_svg(
    labels: Sequence[str], values: Sequence[float], *, title: str, width: float = 600.0
) -> Markup:
    """Signed horizontal bars from a zero line: red pushes the output up, blue down."""
    label_width, row, top = 220.0, 22.0, 6.0
    height = top * 2 + row * max(len(labels), 1)
    bound = max([abs(v) for v in values] + [1e-12])
    to_x = _scale(-bound, bound, label_width + 50, width - 50)
    zero = to_x(0.0)
    parts: list[str] = []
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = top + index * row
        end = to_x(value)
        left, bar = min(zero, end), max(abs(end - zero), 1.0)
        fill = _POSITIVE if value > 0 else _NEGATIVE
        shown = f"{value:+.4g}"
        parts.append(
            svg.text(
                label_width - 8, y + row / 2 + 4, svg.shorten(label, 30), anchor="end", css="tick"
            )
        )
        parts.append(
            svg.rect(left, y + 3, bar, row - 6, fill=fill, title=f"{label}: {shown}", css="bar")
        )
        x_text, anchor = (end + 4, "start") if value > 0 else (end - 4, "end")
        parts.append(svg.text(x_text, y + row / 2 + 4, shown, anchor=anchor, css="value"))
    parts.append(svg.line(zero, top, zero, height - top))
    return svg.document(width, height, title, parts, css="contributions")


def ice_svg(
    grid: Sequence[Any],
    individual: Sequence[Sequence[float]],
    average: Sequence[float],
    *,
    categorical: bool,
    title: str,
    y_label: str,
    width: float = 480.0,
    height: float = 240.0,
) -> Markup:
    """Thin grey ICE lines (one per row) under the bold partial dependence line.

    A categorical grid is drawn at equal spacing with the category names as tick labels.
    """
    left, right, top, bottom = 56.0, width - 14.0, 12.0, height - 40.0
    xs = list(range(len(grid))) if categorical else [float(v) for v in grid]
    ys = [v for line in individual for v in line] + list(average)
    y_low, y_high = (min(ys), max(ys)) if ys else (0.0, 1.0)
    if y_high == y_low:
        y_low, y_high = y_low - 0.5, y_high + 0.5
    to_x = _scale(min(xs), max(xs), left + (12 if categorical else 0), right - 12 * categorical)
    to_y = _scale(y_low, y_high, bottom, top)
    parts: list[str] = []
    for tick in svg.axis_ticks(y_low, y_high, 4):
        parts.append(svg.line(left, to_y(tick), right, to_y(tick), css="gridline"))
        parts.append(
            svg.text(left - 6, to_y(tick) + 4, compact_number(tick), anchor="end", css="tick")
        )

    def points(series: Sequence[float]) -> str:
        return " ".join(f"{to_x(x):.2f},{to_y(y):.2f}" for x, y in zip(xs, series, strict=True))

    for line in individual:
        parts.append(
            f'<polyline points="{points(line)}" fill="none" stroke="#8c959f" '
            'stroke-opacity="0.35" stroke-width="1"/>'
        )
    parts.append(
        f'<polyline points="{points(average)}" fill="none" stroke="{svg.PALETTE[1]}" '
        f'stroke-width="3">{svg.tooltip("partial dependence (mean of the ICE lines)")}</polyline>'
    )
    if categorical:
        stride = max(1, math.ceil(len(grid) / 8))
        ticks = [(float(i), svg.shorten(str(grid[i]), 12)) for i in range(0, len(grid), stride)]
    else:
        ticks = [(t, compact_number(t)) for t in svg.axis_ticks(min(xs), max(xs), 5)]
    parts.append(svg.line(left, bottom, right, bottom))
    for x, label in ticks:
        parts.append(svg.text(to_x(x), bottom + 16, label, anchor="middle", css="tick"))
    parts.append(
        svg.text(12, (top + bottom) / 2, y_label, anchor="middle", css="label", rotate=-90)
    )
    return svg.document(width, height, title, parts, css="ice")
