"""The Markdown form of documents: every block rendered, user data never read as markup.

The output is parsed back with markdown-it-py (CommonMark + tables, as rich ships it) to check
what a Markdown viewer would show.
"""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from boucle.governance.documents import Fact, escape_markdown, fact_table, render_markdown
from boucle.reports import Badge, Figure, Grid, Kpi, KpiGrid, Panel, Section, Table, Text

HOSTILE = "<script>alert(1)</script> [click](javascript:alert(1)) *bold* a|b _x_ `code`"


def _html(markdown: str) -> str:
    return str(MarkdownIt("commonmark").enable("table").render(markdown))


def test_hostile_text_shows_as_written_in_a_paragraph_and_a_cell() -> None:
    document = render_markdown(
        "Card",
        [Section("Data", [Text(HOSTILE), Table(("Column", "Value"), [[HOSTILE, 1]])])],
    )
    html = _html(document)
    assert "<script>" not in html and "<a " not in html and "<em>" not in html
    assert "<strong>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # The pipe inside the cell did not split it: one header row, one body row of two cells.
    assert html.count("<td>") == 2 and html.count("<th>") == 2
    assert "a|b" in html and "<code>code</code>" in html


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("# not a heading", "<p># not a heading</p>"),
        ("1. not a list", "<p>1. not a list</p>"),
        ("- not a list", "<p>- not a list</p>"),
        ("> not a quote", "<p>&gt; not a quote</p>"),
        ("===", "<p>===</p>"),
    ],
)
def test_a_paragraph_never_becomes_structure(text: str, shown: str) -> None:
    assert _html(escape_markdown(text, paragraph=True)).strip() == shown


def test_identifiers_and_numbers_stay_readable_in_the_source() -> None:
    assert escape_markdown("age_in_years 0.8026") == "age_in_years 0.8026"
    assert escape_markdown("_private") == "\\_private"
    assert escape_markdown("0.78", paragraph=True) == "0.78"


def test_every_block_kind_is_rendered() -> None:
    facts = [
        Fact("purpose", "score applicants", "#3 use_case_classified 1a2b3c"),
        Fact("provider", None, how="add it when signing"),
    ]
    sections = [
        Section(
            "Overview",
            [
                KpiGrid([Kpi("roc_auc", "0.8026", "held-out"), Kpi("risk class", "high-risk")]),
                Grid([Text("left"), Text("note", "warn")]),
            ],
            badge=Badge("passed", "good"),
        ),
        Section(
            "Evidence",
            [
                Panel("Facts", [fact_table(facts)], subtitle="what is known"),
                Table(
                    ("Metric", "Value"),
                    [["f1", 0.60714], ["rows", 1200], ["gap", None]],
                    caption="Held-out.",
                ),
                Figure("<svg></svg>", caption="Importance."),
                Figure("<svg></svg>"),
            ],
        ),
    ]
    text = render_markdown("Model card: credit v2", sections, subtitle="built from head abc")
    lines = text.splitlines()
    assert lines[0] == "# Model card: credit v2" and lines[2] == "built from head abc"
    assert "## Overview (passed)" in lines and "## Evidence" in lines
    assert "- **roc\\_auc**: 0.8026 (held-out)" not in text  # intraword: not escaped
    assert "- **roc_auc**: 0.8026 (held-out)" in lines and "- **risk class**: high-risk" in lines
    assert "left" in lines and "> note" in lines
    assert "### Facts" in lines and "what is known" in lines
    assert "| provider | **not recorded** | how to record: add it when signing |" in lines
    assert "| f1 | 0.6071 |" in lines and "| rows | 1,200 |" in lines and "| gap | — |" in lines
    assert "*Held-out.*" in lines
    assert "*Chart (in the HTML form): Importance.*" in lines
    assert "<svg" not in text
    assert text.endswith("\n") and not text.endswith("\n\n")
