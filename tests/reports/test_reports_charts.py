"""The SVG charts: well-formed XML, escaped labels, one shape per value, clear input errors."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest
from markupsafe import Markup

from boucle.reports import bar_chart_svg, heatmap_svg, histogram_svg, line_chart_svg
from boucle.reports.svg import axis_ticks, diverging_colour, sequential_colour

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = "<script>alert(1)</script> & \"quotes\" 'single' \x01\x0b"


def _parse(chart: Markup) -> ET.Element:
    assert isinstance(chart, Markup)
    root = ET.fromstring(str(chart))  # raises on anything that is not well-formed XML
    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox")
    return root


def _texts(root: ET.Element) -> list[str]:
    return [
        element.text or ""
        for element in root.iter()
        if element.tag in (f"{SVG}text", f"{SVG}title")
    ]


def test_histogram_has_one_bar_per_bin_with_exact_counts_in_tooltips() -> None:
    values = np.random.default_rng(0).normal(40, 12, 5000)
    counts, edges = np.histogram(values, bins=30)
    root = _parse(histogram_svg(edges.tolist(), counts.tolist(), title="age", x_label="years"))
    bars = [rect for rect in root.iter(f"{SVG}rect") if rect.get("class") == "bar"]
    assert len(bars) == 30
    shown = [
        int(rect.find(f"{SVG}title").text.rsplit(": ", 1)[1].replace(",", "")) for rect in bars
    ]
    assert shown == counts.tolist()
    heights = [float(rect.get("height")) for rect in bars]
    assert heights[int(np.argmax(counts))] == max(heights)


def test_labels_are_escaped_and_control_characters_replaced() -> None:
    charts = [
        histogram_svg([0, 1, 2], [3, 4], title=HOSTILE, x_label=HOSTILE),
        bar_chart_svg([HOSTILE, "b"], [3, 4], title=HOSTILE),
        heatmap_svg([HOSTILE, "b"], [[1.0, 0.5], [0.5, None]], title=HOSTILE),
        line_chart_svg([1, 2], {HOSTILE: [1.0, 2.0]}, title=HOSTILE, x_labels=[HOSTILE, "x"]),
    ]
    for chart in charts:
        assert "<script>" not in chart
        root = _parse(chart)
        assert root.find(f"{SVG}title").text.startswith('<script>alert(1)</script> & "quotes"')
        assert any("\ufffd" in text for text in _texts(root))


def test_bar_chart_scales_bars_to_the_largest_value() -> None:
    root = _parse(
        bar_chart_svg(["a", "b", "c"], [10, 5, 0], title="t", value_labels=["10", "5", "0"])
    )
    widths = [float(r.get("width")) for r in root.iter(f"{SVG}rect") if r.get("class") == "bar"]
    assert widths[0] == pytest.approx(2 * widths[1], rel=0.01)
    assert widths[2] == 1.0  # a zero still shows a hairline


def test_heatmap_draws_every_cell_and_greys_missing_ones() -> None:
    labels = [f"c{i}" for i in range(5)]
    matrix = [
        [1.0 if i == j else (None if i + j == 3 else -0.5) for j in range(5)] for i in range(5)
    ]
    root = _parse(heatmap_svg(labels, matrix, title="corr"))
    cells = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "cell"]
    assert len(cells) == 25
    assert cells[0].get("fill") == diverging_colour(1.0)
    assert sum(c.get("fill") == "#d9d9d9" for c in cells) == 4
    root = _parse(heatmap_svg(labels, matrix, title="assoc", scale="sequential"))
    first = next(r for r in root.iter(f"{SVG}rect") if r.get("class") == "cell")
    assert first.get("fill") == sequential_colour(1.0)


def test_line_chart_breaks_lines_at_missing_values() -> None:
    root = _parse(
        line_chart_svg([1, 2, 3, 4, 5], {"psi": [0.1, 0.2, None, 0.3, 0.2]}, title="drift")
    )
    lines = list(root.iter(f"{SVG}polyline"))
    assert [len(line.get("points").split()) for line in lines] == [2, 2]


@pytest.mark.parametrize(
    "draw",
    [
        lambda: histogram_svg([0, 1], [1, 2], title="t"),
        lambda: bar_chart_svg(["a"], [1, 2], title="t"),
        lambda: heatmap_svg(["a", "b"], [[1.0]], title="t"),
        lambda: line_chart_svg([1, 2], {"s": [1.0]}, title="t"),
    ],
)
def test_mismatched_inputs_raise(draw: object) -> None:
    with pytest.raises(ValueError):
        draw()  # type: ignore[operator]


def test_charts_are_reproducible_and_handle_a_constant_column() -> None:
    first = histogram_svg([4.5, 5.5], [100], title="constant")
    assert first == histogram_svg([4.5, 5.5], [100], title="constant")
    _parse(first)


def test_axis_ticks_are_round_and_cover_the_range() -> None:
    assert axis_ticks(0, 100, 5) == [0, 20, 40, 60, 80, 100]
    assert axis_ticks(17, 90, 5) == [20, 40, 60, 80]
    ticks = axis_ticks(-0.93, 0.41, 4)
    assert all(-0.93 <= t <= 0.41 for t in ticks) and 0.0 in ticks
    assert axis_ticks(3, 3) == [3]
    assert axis_ticks(float("nan"), 1) == []
