"""Render report sections (:mod:`boucle.reports` blocks) as GitHub-flavoured Markdown.

The HTML templates render the same sections, so the Markdown and HTML forms of a document
carry the same facts. Charts have no Markdown form and are left out (their captions stay).
Every string is user data: characters Markdown would read as markup or raw HTML are escaped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from boucle.reports import (
    Badge,
    Block,
    Cell,
    Figure,
    KpiGrid,
    Panel,
    Section,
    Table,
    Text,
    format_number,
)

__all__ = ["escape_markdown", "render_markdown"]

# Emphasis, links, raw HTML and table pipes (an entity such as &lt; only shows a character);
# ``_`` only where it could open or close emphasis: inside a word it cannot, so identifiers
# like ``age_in_years`` stay readable. Backticks stay: a code span shows its text literally.
_SPECIAL = re.compile(r"([\\*\[<|]|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z]))")
# What turns a paragraph's line into a heading, quote, list item or rule.
_LINE_START = re.compile(r"^(\s*)(?:([#>+=-])|(\d+)([.)]))(?=[\s#>+=-]|$)", re.MULTILINE)


def escape_markdown(text: str, *, paragraph: bool = False) -> str:
    """Escape ``text`` so that Markdown shows it as written (no markup, no raw HTML).

    ``paragraph`` also escapes what would make a line a heading, quote, list item or rule
    (needed for text that starts a line, not inside a table cell).
    """
    escaped = _SPECIAL.sub(r"\\\1", text)
    if not paragraph:
        return escaped
    return _LINE_START.sub(_escape_line_start, escaped)


def _escape_line_start(match: re.Match[str]) -> str:
    indent, mark, digits, dot = match.groups()
    return f"{indent}{digits}\\{dot}" if digits else f"{indent}\\{mark}"


def _cell(value: Cell, decimals: int | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, Badge):
        return f"**{escape_markdown(value.text)}**"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return format_number(value, decimals=decimals)
    return escape_markdown(str(value)).replace("\n", "<br>")


def _table(header: Sequence[str], rows: Sequence[Sequence[Cell]], decimals: int | None) -> str:
    head = "| " + " | ".join(escape_markdown(h) or " " for h in header) + " |"
    rule = "|" + "|".join("---" for _ in header) + "|"
    body = ["| " + " | ".join(_cell(v, decimals) for v in row) + " |" for row in rows]
    return "\n".join([head, rule, *body])


def _block(block: Block, depth: int) -> list[str]:
    """Markdown paragraphs of one block (``depth`` is the heading level of panels)."""
    if isinstance(block, KpiGrid):
        lines = [
            f"- **{escape_markdown(k.label)}**: {escape_markdown(k.value)}"
            + (f" ({escape_markdown(k.note)})" if k.note else "")
            for k in block.items
        ]
        return ["\n".join(lines)] if lines else []
    if isinstance(block, Table):
        caption = [f"*{escape_markdown(block.caption)}*"] if block.caption else []
        return [*caption, _table(block.header, block.rows, block.decimals)]
    if isinstance(block, Text):
        text = escape_markdown(block.text, paragraph=True)
        return [f"> {text}" if block.tone != "neutral" else text]
    if isinstance(block, Figure):
        return (
            [f"*Chart (in the HTML form): {escape_markdown(block.caption)}*"]
            if block.caption
            else []
        )
    if isinstance(block, Panel):
        parts = [f"{'#' * depth} {escape_markdown(block.title)}"]
        if block.subtitle:
            parts.append(escape_markdown(block.subtitle, paragraph=True))
        for child in block.blocks:
            parts += _block(child, min(depth + 1, 6))
        return parts
    parts = []
    for child in block.blocks:
        parts += _block(child, depth)
    return parts


def render_markdown(title: str, sections: Sequence[Section], *, subtitle: str = "") -> str:
    """The whole document as Markdown: title, subtitle, one ``##`` heading per section."""
    parts = [f"# {escape_markdown(title)}"]
    if subtitle:
        parts.append(escape_markdown(subtitle, paragraph=True))
    for section in sections:
        heading = escape_markdown(section.title)
        if section.badge is not None:
            heading += f" ({escape_markdown(section.badge.text)})"
        parts.append(f"## {heading}")
        for block in section.blocks:
            parts += _block(block, 3)
    return "\n\n".join(parts) + "\n"
