"""Blocks shared by the model card and Annex IV: data, metrics, slices, fairness, explanations,
robustness. Each block is built from a :class:`VersionFacts` and cites the events it read."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from boucle.governance.documents.facts import Citations, Fact, fact_table, short_hash
from boucle.reports import (
    Badge,
    Block,
    Cell,
    Figure,
    Kpi,
    KpiGrid,
    Table,
    Text,
    bar_chart_svg,
    format_number,
)

if TYPE_CHECKING:
    from boucle.governance.documents.gather import VersionFacts

__all__ = [
    "HEADLINE_METRICS",
    "explanation_blocks",
    "fairness_blocks",
    "metric_values",
    "metrics_blocks",
    "passed_badge",
    "robustness_blocks",
    "slices_blocks",
]

HEADLINE_METRICS = ("roc_auc", "f1", "accuracy", "pr_auc", "rmse", "mae", "r2")
_SLICE_METRICS = ("accuracy", "f1", "roc_auc", "recall", "rmse", "mae")
_RUN = "`boucle run`"


def passed_badge(value: object) -> Badge:
    """A verdict badge: passed, failed, or not measurable (None)."""
    if value is True:
        return Badge("passed", "good")
    if value is False:
        return Badge("failed", "bad")
    return Badge("not measurable", "neutral")


def metric_values(facts: VersionFacts) -> dict[str, float]:
    """Held-out metrics of the version's run (manifest bound to ``run_finished``)."""
    metrics = facts.run.step("evaluate").get("metrics")
    if not metrics and facts.run.finished is not None:
        metrics = facts.run.finished.payload.get("metrics")
    return {k: float(v) for k, v in (metrics or {}).items() if isinstance(v, int | float)}


def metrics_blocks(facts: VersionFacts, cite: Citations) -> list[Block]:
    """Headline KPIs, every held-out metric (rounded and exact), the confusion matrix."""
    metrics = metric_values(facts)
    if not metrics:
        return [
            fact_table(
                [Fact("held-out metrics", None, how=f"{_RUN} (the evaluate step measures them)")]
            )
        ]
    source = cite(*facts.run.sources("evaluate"))
    rows = facts.run.step("split")
    test_rows = rows.get("test_rows")
    kpis = [
        Kpi(name, format_number(metrics[name]), note="held-out test set")
        for name in HEADLINE_METRICS
        if name in metrics
    ][:4]
    blocks: list[Block] = [
        KpiGrid(kpis),
        Table(
            header=("Metric", "Value", "Exact value"),
            rows=[[name, value, repr(value)] for name, value in sorted(metrics.items())],
            caption=f"Held-out test set ({format_number(test_rows)} rows). Source: {source}",
        ),
    ]
    evaluation = facts.evaluation.document if facts.evaluation else {}
    confusion = evaluation.get("confusion") or {}
    labels, matrix = confusion.get("labels"), confusion.get("matrix")
    if labels and matrix:
        blocks.append(
            Table(
                header=("actual \\ predicted", *map(str, labels)),
                rows=[[str(label), *row] for label, row in zip(labels, matrix, strict=False)],
                caption="Confusion matrix on the held-out rows (evaluation report "
                f"{short_hash(facts.evaluation.digest if facts.evaluation else '')}).",
            )
        )
    per_class = evaluation.get("per_class") or []
    if per_class:
        blocks.append(
            Table(
                header=("Class", "Precision", "Recall", "F1", "Support"),
                rows=[
                    [
                        str(c.get("label")),
                        c.get("precision"),
                        c.get("recall"),
                        c.get("f1"),
                        c.get("support"),
                    ]
                    for c in per_class
                ],
                caption="Per class.",
            )
        )
    return blocks


def slices_blocks(facts: VersionFacts, cite: Citations) -> list[Block]:
    """Metrics per value of each sensitive column (the evaluation report's slices)."""
    sensitive = facts.config.data.sensitive
    slices = (facts.evaluation.document if facts.evaluation else {}).get("slices") or []
    if not slices:
        digest = facts.run.step("evaluate").get("evaluation_digest")
        if not sensitive:
            how = f"list the columns in data.sensitive, then {_RUN}"
        elif digest and facts.evaluation is None:
            how = f"restore the evaluation report {digest} to the artifact store, or {_RUN}"
        else:
            how = f"{_RUN} (the evaluate step measures each sensitive column's slices)"
        return [fact_table([Fact("metrics per group", None, how=how)])]
    names = [m for m in _SLICE_METRICS if any(m in (s.get("metrics") or {}) for s in slices)]
    rows: list[list[Cell]] = [
        [
            str(s.get("column")),
            str(s.get("value")),
            s.get("count"),
            *[(s.get("metrics") or {}).get(m) for m in names],
        ]
        for s in slices
    ]
    source = cite(*facts.run.sources("evaluate"))
    return [
        Table(
            header=("Column", "Group", "Rows", *names),
            rows=rows,
            caption=f"Held-out metrics per group. Source: {source}",
        )
    ]


def fairness_blocks(facts: VersionFacts, cite: Citations) -> list[Block]:
    """The fairness gate per attribute and the rates of each group."""
    event = facts.evidence.latest("fairness_checked")
    if event is None:
        how = "set data.sensitive and enable fairness: (classification), then " + _RUN
        return [fact_table([Fact("fairness gate", None, how=how)])]
    source = cite(event)
    verdict = "passed" if event.payload.get("passed") else "failed"
    blocks: list[Block] = [
        Text(
            f"Fairness gate {verdict} ({event.time[:10]}). Source: {source}",
            "good" if verdict == "passed" else "bad",
        ),
    ]
    for failure in event.payload.get("failures") or []:
        blocks.append(Text(str(failure), "bad"))
    report = facts.fairness.document if facts.fairness else None
    if report is None:
        metrics = event.payload.get("metrics") or {}
        blocks.append(
            Table(
                header=("Attribute", "DP ratio", "DP difference", "EO difference"),
                rows=[
                    [name, m.get("dp_ratio"), m.get("dp_difference"), m.get("eo_difference")]
                    for name, m in metrics.items()
                ],
                caption="From the ledger event (the full report is not in the store).",
            )
        )
        return blocks
    attributes = report.get("attributes") or []
    blocks.append(
        Table(
            header=("Attribute", "DP ratio", "DP difference", "EO difference", "Gate"),
            rows=[
                [
                    str(a.get("name")),
                    a.get("dp_ratio"),
                    a.get("dp_difference"),
                    a.get("eo_difference"),
                    passed_badge(all(c.get("passed") is not False for c in a.get("checks") or [])),
                ]
                for a in attributes
            ],
            caption=f"Groups under {report.get('min_group_size')} test rows are reported but "
            "ignored by the gate. DP: demographic parity; EO: equalized odds.",
        )
    )
    groups: list[list[Cell]] = []
    for attribute in attributes:
        for group in attribute.get("groups") or []:
            low, high = (group.get("selection_rate_ci") or [None, None])[:2]
            groups.append(
                [
                    str(attribute.get("name")),
                    str(group.get("group")),
                    group.get("count"),
                    group.get("selection_rate"),
                    _interval(low, high),
                    group.get("tpr"),
                    group.get("fpr"),
                    Badge("ignored (small)", "warn") if group.get("ignored") else None,
                ]
            )
    if groups:
        level = format_number(float(report.get("confidence") or 0.95) * 100)
        blocks.append(
            Table(
                header=(
                    "Attribute",
                    "Group",
                    "Rows",
                    "Selection rate",
                    f"{level}% interval",
                    "TPR",
                    "FPR",
                    "",
                ),
                rows=groups,
                caption=f"Per group, for the positive class '{report.get('positive_class')}'.",
            )
        )
    return blocks


def _interval(low: Any, high: Any) -> str | None:
    if not isinstance(low, int | float) or not isinstance(high, int | float):
        return None
    return f"[{format_number(float(low))}, {format_number(float(high))}]"


def explanation_blocks(facts: VersionFacts, cite: Citations, *, chart: bool = True) -> list[Block]:
    """The explanation method and the most important features (SHAP)."""
    event = facts.evidence.latest("explained")
    if event is None:
        return [fact_table([Fact("explanation", None, how=f"enable explain:, then {_RUN}")])]
    source = cite(event)
    report = facts.explanation.document if facts.explanation else {}
    top = [f for f in event.payload.get("top_features") or [] if isinstance(f, dict)]
    rows = [
        Fact("method", f"SHAP {event.payload.get('method')}", source),
        Fact("output explained", str(report["output"]), source) if "output" in report else None,
        Fact("held-out rows explained", format_number(report["rows"]), source)
        if "rows" in report
        else None,
        Fact("approximate", "yes" if report.get("approximate") else "no", source)
        if "approximate" in report
        else None,
    ]
    blocks: list[Block] = [fact_table([r for r in rows if r is not None])]
    if top:
        labels = [str(f.get("feature")) for f in top]
        values = [float(f.get("importance") or 0.0) for f in top]
        blocks.append(
            Table(
                header=("Rank", "Feature", "Mean |SHAP|"),
                rows=[
                    [i, label, value]
                    for i, (label, value) in enumerate(zip(labels, values, strict=True), 1)
                ],
                caption=f"Most important features. Source: {source}",
            )
        )
        if chart:
            svg = bar_chart_svg(labels, values, title="mean |SHAP| per feature", label_width=260)
            blocks.append(Figure(svg, caption="Global importance (mean absolute SHAP value)."))
    return blocks


def robustness_blocks(facts: VersionFacts, cite: Citations) -> list[Block]:
    """The robustness checks (noise, swaps, membership inference) and their verdicts."""
    event = facts.evidence.latest("robustness_checked")
    if event is None:
        return [fact_table([Fact("robustness", None, how=f"enable robustness:, then {_RUN}")])]
    source = cite(event)
    report = facts.robustness.document if facts.robustness else {}
    checks = report.get("checks") or []
    if checks:
        rows: list[list[Cell]] = [
            [
                str(c.get("name")),
                c.get("value"),
                c.get("threshold"),
                passed_badge(c.get("passed")),
                str(c.get("detail") or ""),
            ]
            for c in checks
        ]
        table = Table(
            header=("Check", "Value", "Threshold", "Verdict", "Detail"),
            rows=rows,
            caption=f"Source: {source}",
        )
    else:
        metrics = event.payload.get("metrics") or {}
        table = Table(
            header=("Measure", "Value"),
            rows=[[k, v] for k, v in sorted(metrics.items())],
            caption=f"Source: {source}",
        )
    blocks: list[Block] = [table]
    for failure in event.payload.get("failures") or []:
        blocks.append(Text(str(failure), "bad"))
    return blocks
