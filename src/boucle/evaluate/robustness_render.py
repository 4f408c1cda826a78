"""The robustness report as an HTML page (the shared rendering layer of :mod:`boucle.reports`).

Verdict and checks, the flip rate as the noise grows, the flip rate of a swap column by
column, and the membership-inference probe.
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
    bar_chart_svg,
    format_number,
    format_share,
    line_chart_svg,
    render_report,
)

__all__ = ["render_robustness", "robustness_figures"]


def robustness_figures(report: dict[str, Any]) -> dict[str, Markup]:
    """The noise curve and the per-column swap chart, by file name."""
    figures: dict[str, Markup] = {}
    curve = report["noise_curve"]
    if curve:
        figures["noise.svg"] = line_chart_svg(
            [point["scale"] for point in curve],
            {"flip rate": [point["flip_rate"] for point in curve]},
            title="Flip rate under Gaussian noise",
            y_label="share of predictions flipped",
        )
    columns = [row for row in report["swap_by_column"] if row["flip_rate"] is not None]
    if columns:
        figures["swap.svg"] = bar_chart_svg(
            [row["column"] for row in columns],
            [row["flip_rate"] for row in columns],
            title="Flip rate when one column's value is swapped",
            value_labels=[format_share(row["flip_rate"]) for row in columns],
        )
    return figures


def render_robustness(report: dict[str, Any], *, title: str) -> str:
    """The HTML page of a robustness report (``RobustnessReport.to_dict()``)."""
    figures = robustness_figures(report)
    sections = [
        _verdict(report),
        _perturbations(report, figures),
        _membership(report["membership"]),
        Section(
            "Train/serve skew",
            [
                Text(
                    "The ONNX parity check (native and exported model agree on the held-out "
                    "rows, same input schema) runs in the export step, after registration; "
                    "its result is in that step's report.",
                    "info",
                )
            ],
            anchor="skew",
        ),
    ]
    return render_report(title, sections, subtitle=f"{report['rows']} held-out rows probed")


def _verdict(report: dict[str, Any]) -> Section:
    passed = report["passed"]
    membership = report["membership"]
    kpis = KpiGrid(
        [
            Kpi("Gate", "passed" if passed else "failed", tone="good" if passed else "bad"),
            Kpi(
                "Noise flip rate",
                format_share(report["noise_flip_rate"]),
                f"at {format_number(report['noise_scale'])} SD",
            ),
            Kpi("Swap flip rate", format_share(report["swap_flip_rate"]), "one column per row"),
            Kpi("Membership gap", format_number(membership["gap"]), "train minus held-out"),
            Kpi("Attack AUC", format_number(membership["attack_auc"]), "0.5 = no leak"),
        ]
    )
    rows: list[list[Cell]] = [
        [c["name"], c["value"], c["threshold"], _badge(c["passed"]), c["detail"]]
        for c in report["checks"]
    ]
    blocks: list[Block] = [kpis]
    if rows:
        blocks.append(Table(["Check", "Value", "Threshold", "Result", "Detail"], rows, decimals=3))
    blocks += [Text(note, "info") for note in report["notes"]]
    return Section(
        "Verdict",
        blocks,
        anchor="verdict",
        badge=Badge("passed", "good") if passed else Badge("failed", "bad"),
    )


def _perturbations(report: dict[str, Any], figures: dict[str, Markup]) -> Section:
    blocks: list[Block] = [
        Text(
            "Numeric features get Gaussian noise in robust training standard deviations "
            "(interquartile range / 1.349); a category swap gives a column another value seen "
            "in training, drawn by frequency."
        )
    ]
    if "noise.svg" in figures:
        blocks.append(Figure(figures["noise.svg"], "x: noise in robust training SDs"))
    if "swap.svg" in figures:
        blocks.append(Figure(figures["swap.svg"]))
        rows: list[list[Cell]] = [
            [row["column"], row["categories"], row["flip_rate"]] for row in report["swap_by_column"]
        ]
        blocks.append(Table(["Column", "Values seen", "Flip rate"], rows, decimals=3))
    return Section("Perturbations", blocks, anchor="perturbations")


def _membership(membership: dict[str, Any]) -> Section:
    rows: list[list[Cell]] = [
        ["Mean confidence, training rows", membership["train_confidence"]],
        ["Mean confidence, held-out rows", membership["test_confidence"]],
        ["Gap", membership["gap"]],
        ["Loss-threshold attack AUC", membership["attack_auc"]],
        ["Rows (training / held-out)", f"{membership['train_rows']} / {membership['test_rows']}"],
    ]
    return Section(
        "Membership inference",
        [
            Text(
                f"Confidence: {membership['confidence']}. A model that remembers its "
                "training rows is more confident on them than on new rows; an attacker "
                "can then tell who was in the training data."
            ),
            Table(["Measure", "Value"], rows, compact=True, decimals=4),
        ],
        anchor="membership",
    )


def _badge(passed: bool | None) -> Badge:
    if passed is None:
        return Badge("not measured", "neutral")
    return Badge("passed", "good") if passed else Badge("failed", "bad")
