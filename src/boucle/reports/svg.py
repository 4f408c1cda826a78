"""Low-level SVG writing: escaped text, shapes, axis ticks, colour scales.

Every chart is a string of SVG built here, so the escaping rule lives in one place: text and
attribute values go through :func:`markupsafe.escape` (which also escapes quotes), and
characters that XML forbids (control characters from user data) become U+FFFD, so each chart
is well-formed XML as well as valid HTML. Numbers are written with a fixed precision, so the
same data gives the same bytes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from markupsafe import Markup, escape

__all__ = [
    "PALETTE",
    "axis_ticks",
    "diverging_colour",
    "document",
    "line",
    "rect",
    "sequential_colour",
    "shorten",
    "text",
    "tooltip",
]

# Okabe-Ito, safe for colour-blind readers; the first is the default bar colour.
PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442")
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(value: object) -> str:
    """Escape ``value`` for XML text or a quoted attribute."""
    return str(escape(_XML_INVALID.sub("\ufffd", str(value))))


def _num(value: float) -> str:
    """A coordinate with two decimals and no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def shorten(label: str, limit: int = 24) -> str:
    """Cut ``label`` to ``limit`` characters, ending with an ellipsis when cut."""
    return label if len(label) <= limit else label[: limit - 1] + "…"


def tooltip(content: str) -> str:
    """A ``<title>`` child: browsers show it as a tooltip, screen readers read it."""
    return f"<title>{_clean(content)}</title>"


def text(
    x: float,
    y: float,
    content: str,
    *,
    anchor: str = "start",
    css: str = "",
    rotate: float | None = None,
    baseline: str = "",
) -> str:
    """A ``<text>`` element at (x, y); ``rotate`` turns it around its own anchor point."""
    attrs = f'x="{_num(x)}" y="{_num(y)}" text-anchor="{anchor}"'
    if css:
        attrs += f' class="{css}"'
    if baseline:
        attrs += f' dominant-baseline="{baseline}"'
    if rotate is not None:
        attrs += f' transform="rotate({_num(rotate)} {_num(x)} {_num(y)})"'
    return f"<text {attrs}>{_clean(content)}</text>"


def rect(
    x: float, y: float, width: float, height: float, *, fill: str, title: str = "", css: str = ""
) -> str:
    """A ``<rect>``, with a tooltip when ``title`` is given."""
    attrs = (
        f'x="{_num(x)}" y="{_num(y)}" width="{_num(max(width, 0.0))}" '
        f'height="{_num(max(height, 0.0))}" fill="{_clean(fill)}"'
    )
    if css:
        attrs += f' class="{css}"'
    if title:
        return f"<rect {attrs}>{tooltip(title)}</rect>"
    return f"<rect {attrs}/>"


def line(x1: float, y1: float, x2: float, y2: float, *, css: str = "axis") -> str:
    """A ``<line>`` styled by a CSS class (axes, grid lines)."""
    return f'<line x1="{_num(x1)}" y1="{_num(y1)}" x2="{_num(x2)}" y2="{_num(y2)}" class="{css}"/>'


def document(width: float, height: float, title: str, body: Sequence[str], *, css: str) -> Markup:
    """Wrap ``body`` in a standalone ``<svg>`` root that scales down with its container."""
    label = _clean(title)
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css}" role="img" '
        f'aria-label="{label}" viewBox="0 0 {_num(width)} {_num(height)}" '
        f'width="{_num(width)}" height="{_num(height)}" preserveAspectRatio="xMinYMin meet">'
        f"<title>{label}</title>{''.join(body)}</svg>"
    )


def axis_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2, 2.5, 5 times 10^k steps) covering [low, high], about ``count``."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return []
    if high <= low:
        return [low]
    raw = (high - low) / max(count, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.ceil(low / step - 1e-9) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(0.0 if abs(value) < step * 1e-9 else value)
        value = first + len(ticks) * step
    return ticks


def _mix(start: tuple[int, int, int], end: tuple[int, int, int], t: float) -> str:
    channels = (round(a + (b - a) * t) for a, b in zip(start, end, strict=True))
    return "#" + "".join(f"{c:02x}" for c in channels)


_WHITE = (247, 247, 247)
_BLUE = (33, 102, 172)
_RED = (178, 24, 43)


def diverging_colour(value: float | None) -> str:
    """Colour of ``value`` in [-1, 1]: blue (negative), white (0), red (positive); grey if None."""
    if value is None or not math.isfinite(value):
        return "#d9d9d9"
    clipped = max(-1.0, min(1.0, value))
    return _mix(_WHITE, _RED if clipped > 0 else _BLUE, abs(clipped))


def sequential_colour(value: float | None) -> str:
    """Colour of ``value`` in [0, 1]: white to dark blue; grey if None."""
    if value is None or not math.isfinite(value):
        return "#d9d9d9"
    return _mix(_WHITE, _BLUE, max(0.0, min(1.0, value)))
