"""Blocks shared by the model card and Annex IV: metrics, slices, fairness, explanations
(robustness and train/serve skew: :mod:`.robustness_sections`). Each block is built from a
:class:`VersionFacts` and cites the events it read. A fair challenger's blocks show its own
evidence (its decisions, its fairness check) and say where its scores come from."""

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
    "slices_blocks",
]

HEADLINE_METRICS = ("roc_auc", "f1", "accuracy", "pr_auc", "rmse", "mae", "r2")
_SLICE_METRICS = ("accuracy", "f1", "roc_auc", "recall", "rmse", "mae")
_RUN = "`boucle run`"  # how most missing facts get recorded


def passed_badge(value: object) -> Badge:
    """A verdict badge: passed, failed, or not measurable (None)."""
    if value is True:
        return Badge("passed", "good")
    if value is False:
        return Badge("failed", "bad")
    return Badge("not measurable", "neutral")


def metric_values(facts: VersionFacts) -> dict[str, float]:
    """Held-out metrics of the version (run manifest bound to ``run_finished``).

    Those of the evaluate step, or for a fair challenger those the mitigate step measured on
    its own decisions (``run_finished`` records the base model's only).
    """
    metrics = facts.run.step(facts.evaluated_by).get("metrics")
    if not metrics and facts.run.finished is not None and facts.evaluated_by == "evaluate":
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
    source = cite(*facts.run.sources(facts.evaluated_by))
    rows = facts.run.step("split")
    test_rows = rows.get("test_rows")
    of = facts.ref.mitigation_of
    whose = "" if of is None else f", decisions of this fair challenger of v{of}"
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
            caption=f"Held-out test set ({format_number(test_rows)} rows{whose}). Source: {source}",
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
    if of is not None:
        blocks.append(
            Text(
                f"A fair challenger of v{of}: accuracy, precision, recall, F1, positive rate, "
                "the confusion matrix and the slices count the decisions this version makes "
                "(its per-group thresholds, `predict`); ROC AUC, PR AUC, log loss and Brier "
                "score its positive rate per row (`predict_proba`).",
                "info",
            )
        )
    return blocks


def slices_blocks(facts: VersionFacts, cite: Citations) -> list[Block]:
    """Metrics per value of each sensitive column (the evaluation report's slices)."""
    sensitive = facts.config.data.sensitive
    slices = (facts.evaluation.document if facts.evaluation else {}).get("slices") or []
    if not slices:
        digest = facts.run.step(facts.evaluated_by).get("evaluation_digest")
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
    source = cite(*facts.run.sources(facts.evaluated_by))
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
    """The explanation method and the most important features (SHAP).

    A fair challenger's explanation cites the SHAP values of its base version's scores (the
    same scores it thresholds): the block says so and lists its per-group thresholds.
    """
    event = facts.evidence.latest("explained")
    if event is None:
        return [fact_table([Fact("explanation", None, how=f"enable explain:, then {_RUN}")])]
    source = cite(event)
    report = facts.explanation.document if facts.explanation else {}
    top = [f for f in event.payload.get("top_features") or [] if isinstance(f, dict)]
    scores_of = event.payload.get("scores_of")
    method = str(event.payload.get("method"))
    rows = [
        Fact("method", method if scores_of else f"SHAP {method}", source),
        Fact("output explained", str(report["output"]), source) if "output" in report else None,
        Fact("held-out rows explained", format_number(report["rows"]), source)
        if "rows" in report
        else None,
        Fact("approximate", "yes" if report.get("approximate") else "no", source)
        if "approximate" in report
        else None,
    ]
    blocks: list[Block] = [fact_table([r for r in rows if r is not None])]
    if isinstance(scores_of, dict):
        blocks += _threshold_blocks(facts, cite, event.payload, scores_of)
    if top:
        labels = [str(f.get("feature")) for f in top]
        values = [float(f.get("importance") or 0.0) for f in top]
        whose = f" of v{scores_of.get('version')}'s scores" if isinstance(scores_of, dict) else ""
        blocks.append(
            Table(
                header=("Rank", "Feature", "Mean |SHAP|"),
                rows=[
                    [i, label, value]
                    for i, (label, value) in enumerate(zip(labels, values, strict=True), 1)
                ],
                caption=f"Most important features{whose}. Source: {source}",
            )
        )
        if chart:
            svg = bar_chart_svg(labels, values, title="mean |SHAP| per feature", label_width=260)
            blocks.append(Figure(svg, caption="Global importance (mean absolute SHAP value)."))
    return blocks


def _threshold_blocks(
    facts: VersionFacts, cite: Citations, payload: dict[str, Any], scores_of: dict[str, Any]
) -> list[Block]:
    """What a fair challenger's decision adds to its base's scores: one rule per group."""
    base = next((e for e in facts.chain if e.index == scores_of.get("event")), None)
    decision = payload.get("decision") or {}
    sensitive = decision.get("sensitive")
    of = scores_of.get("version")
    blocks: list[Block] = [
        Text(
            f"Not recomputed for this version: its score is v{of}'s score (the per-group "
            f"thresholds only decide from it), so these are the SHAP values of v{of} "
            f"({cite(base) or 'explanation event #' + str(scores_of.get('event'))}). The "
            f"decision also depends on '{sensitive}' directly, through the rules below "
            f"(ThresholdOptimizer, {decision.get('constraint')}).",
            "info",
        )
    ]
    thresholds = (facts.mitigation.document if facts.mitigation else {}).get("thresholds")
    if not isinstance(thresholds, dict) or not thresholds:
        digest = decision.get("thresholds_digest")
        how = f"restore the thresholds {digest} to the artifact store" if digest else _RUN
        return [*blocks, fact_table([Fact("per-group thresholds", None, how=how)])]
    rows: list[list[Cell]] = [
        [str(group), _rule(rule)] for group, rule in sorted(thresholds.items()) if rule
    ]
    source = cite(*facts.run.sources("mitigate"))
    digest = short_hash(facts.mitigation.digest if facts.mitigation else "")
    blocks.append(
        Table(
            header=(f"{sensitive}", "Positive when (on the score, with probability)"),
            rows=rows,
            caption=f"Per-group rules (thresholds {digest}); a group not listed keeps the "
            f"score ≥ 0.5 decision. Source: {source}",
        )
    )
    return blocks


def _rule(rule: dict[str, Any]) -> str:
    parts = [
        f"score {op.get('operator')} {format_number(float(op.get('threshold') or 0.0))} "
        f"(p = {format_number(float(rule.get(p) or 0.0))})"
        for p, op in (("p0", rule.get("operation0") or {}), ("p1", rule.get("operation1") or {}))
        if float(rule.get(p) or 0.0) > 0
    ]
    ignore = float(rule.get("p_ignore") or 0.0)
    if ignore > 0:
        constant = format_number(float(rule.get("prediction_constant") or 0.0))
        parts.append(f"else constant {constant} with p = {format_number(ignore)}")
    return "; ".join(parts)
