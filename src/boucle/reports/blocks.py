"""The building blocks of a report: sections holding KPI cards, tables, figures, text and panels.

A report is a list of :class:`Section`; each holds blocks, which the templates turn into HTML.
Blocks are plain frozen dataclasses with no HTML in them: every string is user data and is
escaped by the templates. The only markup that passes through unescaped is a
:class:`~markupsafe.Markup` figure made by :mod:`boucle.reports.charts`, whose own text is
escaped when the SVG is built. A plain ``str`` given as a figure is shown as text.

Blocks nest: a :class:`Panel` (titled card, with an anchor for the navigation) and a
:class:`Grid` (side by side, wrapping on narrow screens) hold other blocks.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Literal, TypeAlias

from markupsafe import Markup

__all__ = [
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
    "format_bytes",
    "format_number",
    "format_share",
    "slugify",
]

Tone = Literal["neutral", "good", "warn", "bad", "info"]


@dataclass(frozen=True)
class Badge:
    """A short coloured label: ``passed``, ``3 failed``, ``high cardinality``."""

    text: str
    tone: Tone = "neutral"
    kind: ClassVar[str] = "badge"


Cell: TypeAlias = str | int | float | Badge | None
"""A table cell: numbers are formatted and right-aligned, ``None`` shows as an em dash."""


@dataclass(frozen=True)
class Kpi:
    """One headline number: ``label`` above, ``value`` (already formatted) and a ``note``."""

    label: str
    value: str
    note: str = ""
    tone: Tone = "neutral"


@dataclass(frozen=True)
class KpiGrid:
    """A row of KPI cards."""

    items: Sequence[Kpi]
    kind: ClassVar[str] = "kpis"


@dataclass(frozen=True)
class Table:
    """A table: ``header`` names the columns, each row has one :data:`Cell` per column.

    ``decimals`` shows every float with that many decimals (correlations: ``3``); ``compact``
    draws a narrow two-column statistics table with the values right-aligned.
    """

    header: Sequence[str]
    rows: Sequence[Sequence[Cell]]
    caption: str = ""
    decimals: int | None = None
    compact: bool = False
    kind: ClassVar[str] = "table"


@dataclass(frozen=True)
class Figure:
    """A chart: ``svg`` from :mod:`boucle.reports.charts`, with an optional caption."""

    svg: Markup | str
    caption: str = ""
    kind: ClassVar[str] = "figure"


@dataclass(frozen=True)
class Text:
    """A paragraph; a non-neutral ``tone`` shows it as a call-out."""

    text: str
    tone: Tone = "neutral"
    kind: ClassVar[str] = "text"


@dataclass(frozen=True)
class Panel:
    """A titled card holding blocks; ``anchor`` (if set) makes it a link target."""

    title: str
    blocks: Sequence[Block]
    anchor: str = ""
    subtitle: str = ""
    badges: Sequence[Badge] = ()
    kind: ClassVar[str] = "panel"


@dataclass(frozen=True)
class Grid:
    """Blocks side by side (wrapping on narrow screens)."""

    blocks: Sequence[Block]
    kind: ClassVar[str] = "grid"


Block: TypeAlias = KpiGrid | Table | Figure | Text | Panel | Grid


@dataclass(frozen=True)
class Section:
    """A top-level part of the report, listed in the navigation.

    ``anchor`` defaults to a slug of ``title``; ``badge`` is shown beside the heading and in
    the navigation (``not run``, ``2 failed``).
    """

    title: str
    blocks: Sequence[Block] = field(default_factory=tuple)
    anchor: str = ""
    badge: Badge | None = None


def slugify(text: str, *, fallback: str = "section") -> str:
    """Turn ``text`` into an HTML id: lower-case ASCII letters, digits and dashes."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug or fallback


def format_number(
    value: float | int | None, *, digits: int = 4, decimals: int | None = None
) -> str:
    """Format a number for people: ``12,345``, ``0.1235``, ``1.235e+09``; ``None`` is ``—``.

    ``digits`` is the number of significant digits of a float; ``decimals``, when given,
    writes floats with that many decimals instead (``0.500``).
    """
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if decimals is not None:
        return f"{value:,.{decimals}f}"
    magnitude = abs(value)
    if magnitude >= 1e15 or 0 < magnitude < 1e-4:
        return f"{value:.{digits - 1}e}".replace("e+0", "e+").replace("e-0", "e-")
    if value == int(value) or magnitude >= 10 ** (digits - 1):
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


def format_share(value: float | None, *, digits: int = 1) -> str:
    """Format a share in [0, 1] as a percentage: ``0.0564`` → ``5.6%``, tiny ones ``<0.1%``."""
    if value is None or math.isnan(value):
        return "—"
    percent = value * 100
    floor = 10.0**-digits
    if 0 < percent < floor:
        return f"<{floor:.{digits}f}%"
    return f"{percent:.{digits}f}%"


def format_bytes(size: int) -> str:
    """Format a byte count with binary units: ``1536`` → ``1.5 KiB``."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")  # pragma: no cover
