"""The explain report as an HTML page (the shared rendering layer of :mod:`boucle.reports`).

Sections: overview, global importance, SHAP summary (beeswarm), predictions explained one by
one, and ICE/PDP curves of the top features. :func:`explain_figures` returns the same charts
as standalone SVG documents, stored beside the report as artifacts.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from boucle.explain.charts import beeswarm_svg, contributions_svg, ice_svg
from boucle.reports import (
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
    format_number,
    render_report,
)

__all__ = ["explain_figures", "render_explain"]

_METHODS = {
    "tree": "TreeExplainer (exact TreeSHAP)",
    "linear": "LinearExplainer",
    "kernel": "KernelExplainer (sampled)",
}


def explain_figures(report: dict[str, Any], *, top: int) -> dict[str, Markup]:
    """The charts of the explain report by file name (``importance.svg``, ``ice-<n>.svg``)."""
    importance = report["importance"][:top]
    figures = {
        "importance.svg": bar_chart_svg(
            [row["feature"] for row in importance],
            [row["importance"] for row in importance],
            title="Mean |SHAP value| per column",
        ),
        "summary.svg": beeswarm_svg(
            [row["feature"] for row in report["summary"]],
            [row["values"] for row in report["summary"]],
            [row["colour"] for row in report["summary"]],
            title="SHAP summary",
        ),
    }
    for index, example in enumerate(report["examples"], start=1):
        contributions = example["contributions"]
        figures[f"example-{index}.svg"] = contributions_svg(
            [f"{c['feature']} = {_shown(c['value'])}" for c in contributions],
            [c["contribution"] for c in contributions],
            title=f"Contributions to held-out row {example['row']}",
        )
    for index, curve in enumerate(report["curves"], start=1):
        figures[f"ice-{index}.svg"] = ice_svg(
            curve["grid"],
            curve["individual"],
            curve["average"],
            categorical=curve["categorical"],
            title=f"ICE and PDP of {curve['column']}",
            y_label=curve["output"],
        )
    return figures


def render_explain(
    report: dict[str, Any],
    *,
    title: str,
    top: int = 10,
    figures: dict[str, Markup] | None = None,
) -> str:
    """The HTML page of an explain report (``ExplainReport.to_dict()``).

    ``figures`` are those of :func:`explain_figures` when the caller already drew them.
    """
    figures = figures if figures is not None else explain_figures(report, top=top)
    sections = [
        _overview(report),
        Section(
            "Global importance",
            [
                Figure(figures["importance.svg"], "Mean absolute SHAP value over the rows."),
                _importance_table(report, top),
            ],
            anchor="importance",
        ),
        Section(
            "SHAP summary",
            [
                Text(
                    "One dot per explained row: how far the column moved the output from "
                    "the base value. Colour: the column's value (numeric columns)."
                ),
                Figure(figures["summary.svg"]),
            ],
            anchor="summary",
        ),
        Section("Predictions explained", _examples(report, figures), anchor="examples"),
        Section("ICE and PDP", _curves(report, figures), anchor="curves"),
    ]
    return render_report(title, sections, subtitle=f"SHAP values of the {report['output']}")


def _overview(report: dict[str, Any]) -> Section:
    kpis = KpiGrid(
        [
            Kpi("Explainer", report["method"], _METHODS.get(report["method"], "")),
            Kpi("Rows explained", format_number(report["rows"]), "held-out sample"),
            Kpi("Explained output", report["output"]),
            Kpi("Columns", format_number(len(report["importance"]))),
        ]
    )
    blocks: list[Block] = [kpis]
    if report["approximate"]:
        blocks.append(
            Text(
                "The forest is too deep for exact TreeSHAP on this many rows: the values are "
                "Saabas attributions (additive, one path per tree), an approximation.",
                "warn",
            )
        )
    blocks.append(
        Text(
            "Values are computed on the preprocessed features and summed back to each table "
            "column (one-hot groups added up), so a row's values add up to its output minus "
            "the base value."
        )
    )
    return Section("Overview", blocks, anchor="overview")


def _importance_table(report: dict[str, Any], top: int) -> Table:
    total = sum(row["importance"] for row in report["importance"]) or 1.0
    rows: list[list[Cell]] = [
        [index, row["feature"], row["importance"], f"{100 * row['importance'] / total:.1f}%"]
        for index, row in enumerate(report["importance"], start=1)
    ]
    return Table(["Rank", "Column", "Mean |SHAP|", "Share"], rows, caption=f"Top {top} charted.")


def _examples(report: dict[str, Any], figures: dict[str, Markup]) -> list[Block]:
    if not report["examples"]:
        return [Text("No prediction explained (explain.examples: 0).")]
    panels: list[Block] = []
    for index, example in enumerate(report["examples"], start=1):
        rows: list[list[Cell]] = [
            [c["feature"], _shown(c["value"]), c["contribution"]] for c in example["contributions"]
        ]
        panels.append(
            Panel(
                f"Row {example['row']}: {example['prediction']}",
                [
                    Grid(
                        [
                            Figure(figures[f"example-{index}.svg"]),
                            Table(["Column", "Value", "Contribution"], rows, compact=True),
                        ]
                    ),
                    Text(
                        f"Base value {format_number(example['base_value'])} + contributions "
                        f"= {format_number(example['output'])}."
                    ),
                ],
                anchor=f"example-{index}",
            )
        )
    return panels


def _curves(report: dict[str, Any], figures: dict[str, Markup]) -> list[Block]:
    if not report["curves"]:
        return [Text("No curves drawn (explain.curve_features: 0).")]
    blocks: list[Block] = [
        Text(
            "Grey: one ICE line per held-out row (the prediction as the column alone moves "
            "over its grid). Orange: their mean, the partial dependence."
        )
    ]
    panels = [
        Panel(
            curve["column"],
            [Figure(figures[f"ice-{index}.svg"], f"{curve['rows']} rows")],
            anchor=f"curve-{index}",
        )
        for index, curve in enumerate(report["curves"], start=1)
    ]
    blocks.append(Grid(panels))
    return blocks


def _shown(value: Any) -> str:
    if value is None:
        return "missing"
    if isinstance(value, float):
        return format_number(value)
    return str(value)
