"""Robustness blocks of the model card and Annex IV: the robustness probes and train/serve skew.

Both are Art. 15 evidence: how stable the decisions are under small perturbations (and how
much the model leaks its training rows), and whether the model served is the model trained
(``skew_checked``: ONNX parity, serving schema against training schema). A skew check the run
did not make is said, with why (export disabled or blocked, a fair challenger without ONNX
form), both here and in the limitations (:func:`skew_limitation`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from boucle.governance.documents.evidence_sections import passed_badge
from boucle.governance.documents.facts import Citations, Fact, fact_table
from boucle.reports import Block, Cell, Panel, Table, Text

if TYPE_CHECKING:
    from boucle.governance.documents.gather import VersionFacts

__all__ = ["robustness_blocks", "skew_blocks", "skew_limitation"]

_RUN = "`boucle run`"


def robustness_blocks(facts: VersionFacts, cite: Citations) -> list[Block]:
    """The robustness checks (noise, swaps, membership inference), then train/serve skew."""
    skew = Panel("Train/serve skew", skew_blocks(facts, cite))
    event = facts.evidence.latest("robustness_checked")
    if event is None:
        how = f"enable robustness:, then {_RUN}"
        return [fact_table([Fact("robustness", None, how=how)]), skew]
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
    return [*blocks, skew]


def skew_blocks(facts: VersionFacts, cite: Citations) -> list[Block]:
    """The train/serve skew check (``skew_checked``), or why the run did not make it.

    The check compares the ONNX model with the native one (parity) and the serving schema
    with the training schema (columns, kinds, unseen categories).
    """
    event = facts.evidence.latest("skew_checked")
    if event is None:
        reason = facts.skew_skipped
        if reason is None:
            how = f"enable export:, then {_RUN} (its skew step compares what is served)"
            return [fact_table([Fact("train/serve skew", None, how=how)])]
        source = cite(*facts.run.sources("skew" if facts.ref.mitigation_of is None else "mitigate"))
        return [
            Text(f"Train/serve skew not checked: {reason}. Source: {source}", "warn"),
        ]
    source = cite(event)
    metrics = event.payload.get("metrics") or {}
    passed = event.payload.get("passed")
    mismatches = [
        f"{m.get('column')} ({m.get('training')} in training, {m.get('serving')} served)"
        for m in metrics.get("dtype_mismatches") or []
        if isinstance(m, dict)
    ]
    rows: list[list[Cell]] = [
        ["ONNX vs native: max |difference|", metrics.get("max_abs_diff")],
        ["ONNX vs native: label agreement", metrics.get("label_agreement")],
        ["training columns the serving schema lacks", _names(metrics.get("missing_inputs"))],
        ["served columns not in training", _names(metrics.get("extra_inputs"))],
        ["columns typed differently", ", ".join(mismatches) or "none"],
        ["category not seen in training, when served", str(metrics.get("unseen_category_policy"))],
    ]
    blocks: list[Block] = [
        Text(
            f"Train/serve skew check {passed_badge(passed).text} ({event.time[:10]}). "
            f"Source: {source}",
            "good" if passed else "bad",
        ),
        Table(
            header=("Check", "Value"),
            rows=rows,
            caption="The ONNX model against the native pipeline on the held-out rows, and the "
            "serving schema against the training schema.",
        ),
    ]
    blocks += [Text(str(failure), "bad") for failure in event.payload.get("failures") or []]
    return blocks


def _names(values: object) -> str:
    return ", ".join(map(str, values)) if isinstance(values, list) and values else "none"


def skew_limitation(facts: VersionFacts) -> str | None:
    """The limitation a failed or skipped skew check implies (None when it passed or is
    not recorded at all)."""
    event = facts.evidence.latest("skew_checked")
    if event is not None:
        if event.payload.get("passed") is not False:
            return None
        failures = "; ".join(map(str, event.payload.get("failures") or [])) or "see the check"
        return f"Train/serve skew check failed (#{event.index}): {failures}."
    reason = facts.skew_skipped
    if reason is None:
        return None  # not recorded at all: the robustness section says how to record it
    return (
        f"Train/serve skew not checked ({reason}): nothing shows that the model served "
        "answers as the model trained."
    )
