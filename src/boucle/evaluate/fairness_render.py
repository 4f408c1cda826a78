"""The fairness report as an HTML page (the shared rendering layer of :mod:`boucle.reports`).

One section for the verdict, then one panel per sensitive column or pair of columns: the
gate's checks, a chart of selection rates and a table of every group's rates with their
confidence intervals (groups below the minimum size are marked *ignored*).
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from boucle.reports import (
    Badge,
    Block,
    Cell,
    Figure,
    Kpi,
    KpiGrid,
    Section,
    Table,
    Text,
    Tone,
    bar_chart_svg,
    format_number,
    render_report,
    slugify,
)

__all__ = ["fairness_figures", "render_fairness"]

_RATE_NAMES = {
    "selection_rate": "Selection rate",
    "tpr": "TPR",
    "fpr": "FPR",
    "precision": "Precision",
}


def fairness_figures(report: dict[str, Any]) -> dict[str, Markup]:
    """A selection-rate chart per attribute, by file name (``selection-<slug>.svg``)."""
    figures = {}
    for attribute in report["attributes"]:
        groups = [g for g in attribute["groups"] if g["selection_rate"] is not None]
        if not groups:
            continue
        figures[f"selection-{slugify(attribute['name'])}.svg"] = bar_chart_svg(
            [g["group"] for g in groups],
            [g["selection_rate"] for g in groups],
            title=f"Selection rate by {attribute['name']}",
            value_labels=[
                f"{g['selection_rate']:.3f}, n={g['count']}{'*' if g['ignored'] else ''}"
                for g in groups
            ],
        )
    return figures


def render_fairness(report: dict[str, Any], *, title: str) -> str:
    """The HTML page of a fairness report (``FairnessReport.to_dict()``)."""
    figures = fairness_figures(report)
    sections = [_verdict(report)]
    sections += [_attribute(a, figures, report) for a in report["attributes"]]
    subtitle = f"Predictions of '{report['positive_class']}' on the held-out rows"
    return render_report(title, sections, subtitle=subtitle)


_VERDICT_TONES: dict[str, Tone] = {"passed": "good", "failed": "bad", "not measured": "warn"}


def _verdict(report: dict[str, Any]) -> Section:
    # Reports stored before the three-way verdict have no "verdict": passed or failed.
    verdict = report.get("verdict") or ("passed" if report["passed"] else "failed")
    tone = _VERDICT_TONES.get(verdict, "bad")
    kpis = KpiGrid(
        [
            Kpi("Gate", verdict, tone=tone),
            Kpi("Attributes", format_number(len(report["attributes"]))),
            Kpi(
                "Failed checks",
                format_number(len(report["failures"])),
                tone="bad" if report["failures"] else "good",
            ),
            Kpi("Minimum group size", format_number(report["min_group_size"]), "rows, for gates"),
        ]
    )
    blocks: list[Block] = [kpis]
    blocks += [Text(failure, "bad") for failure in report["failures"]]
    if verdict == "not measured":
        reason = report.get("unmeasured_reason") or "no group could be compared"
        blocks.append(
            Text(
                f"Nothing measured: {reason}. The gate does not pass; list the sensitive "
                "feature columns in data.sensitive, or lower fairness.min_group_size.",
                "warn",
            )
        )
    blocks += [Text(note, "info") for note in report["notes"]]
    return Section("Verdict", blocks, anchor="verdict", badge=Badge(verdict, tone))


def _attribute(
    attribute: dict[str, Any], figures: dict[str, Markup], report: dict[str, Any]
) -> Section:
    checks: list[list[Cell]] = [
        [
            check["name"],
            check["value"],
            check["threshold"],
            _verdict_badge(check["passed"]),
            check["detail"],
        ]
        for check in attribute["checks"]
    ]
    blocks: list[Block] = [
        Table(["Check", "Value", "Threshold", "Result", "Detail"], checks, decimals=3)
        if checks
        else Text("No threshold configured: metrics are reported only."),
    ]
    figure = figures.get(f"selection-{slugify(attribute['name'])}.svg")
    if figure is not None:
        caption = "Share of rows predicted positive."
        if attribute["ignored"]:
            caption += f" * Under {report['min_group_size']} rows: ignored by the gate."
        blocks.append(Figure(figure, caption))
    level = f"{round(100 * report['confidence'])}%"
    header = ["Group", "Rows"] + [f"{label} [{level} CI]" for label in _RATE_NAMES.values()]
    rows: list[list[Cell]] = []
    for group in attribute["groups"]:
        row: list[Cell] = [group["group"], group["count"]]
        row += [_rate(group, rate) for rate in _RATE_NAMES]
        if group["ignored"]:
            row[0] = f"{group['group']} (ignored: under {report['min_group_size']} rows)"
        rows.append(row)
    blocks.append(Table(header, rows))
    failed = any(check["passed"] is False for check in attribute["checks"])
    measured = attribute["dp_difference"] is not None or attribute["eo_difference"] is not None
    badge = (
        Badge("failed", "bad")
        if failed
        else Badge("passed", "good")
        if measured
        else Badge("not measured", "warn")
    )
    return Section(attribute["name"], blocks, badge=badge)


def _rate(group: dict[str, Any], rate: str) -> str:
    value, interval = group[rate], group[f"{rate}_ci"]
    if value is None or interval is None:
        return "—"
    return f"{value:.3f} [{interval[0]:.3f}, {interval[1]:.3f}] n={group[f'{rate}_n']}"


def _verdict_badge(passed: bool | None) -> Badge:
    if passed is None:
        return Badge("not measured", "neutral")
    return Badge("passed", "good") if passed else Badge("failed", "bad")
