"""The model card of a registered version, built from its evidence (Markdown and HTML).

Sections: intended use, data, metrics, slices, fairness, explanations, limitations,
governance, versions and provenance. Every value comes from the ledger, the run manifest or
a stored report (or from ``use_case:`` when it is the one the ledger classified); a fact that
none of them holds is shown as "not recorded" with how to record it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from boucle.governance.documents.data_sections import data_blocks
from boucle.governance.documents.evidence_sections import (
    explanation_blocks,
    fairness_blocks,
    metric_values,
    metrics_blocks,
    slices_blocks,
)
from boucle.governance.documents.facts import Citations, fact_table
from boucle.governance.documents.governance_sections import (
    approvals_blocks,
    built_from,
    checklist_blocks,
    classification_blocks,
    provenance_section,
    use_case_facts,
    versions_facts,
)
from boucle.governance.documents.robustness_sections import robustness_blocks, skew_limitation
from boucle.reports import Badge, Block, Kpi, KpiGrid, Section, Text, format_number

if TYPE_CHECKING:
    from boucle.governance.documents.gather import VersionFacts

__all__ = ["DocumentContent", "limitation_notes", "model_card_content"]


@dataclass(frozen=True)
class DocumentContent:
    """A document before rendering: title, subtitle and sections (provenance last)."""

    title: str
    subtitle: str
    sections: list[Section]


def model_card_content(facts: VersionFacts) -> DocumentContent:
    """Build the model card's sections from ``facts``."""
    cite = Citations()
    ref = facts.ref
    sections = [
        Section("Overview", _overview(facts, cite)),
        Section(
            "Intended use",
            [fact_table(use_case_facts(facts, cite)), *classification_blocks(facts, cite)],
        ),
        Section("Data", data_blocks(facts, cite)),
        Section("Metrics", metrics_blocks(facts, cite)),
        Section("Slices", slices_blocks(facts, cite)),
        Section("Fairness", fairness_blocks(facts, cite), badge=_gate_badge(facts, "fairness")),
        Section("Explanations", explanation_blocks(facts, cite)),
        Section("Limitations", _limitations(facts, cite)),
        Section(
            "Governance",
            [*checklist_blocks(facts, cite), *approvals_blocks(facts, cite)],
            badge=Badge(f"{facts.check.risk_label}", "info"),
        ),
        Section("Versions", [fact_table(versions_facts(facts, cite))]),
    ]
    sections.append(provenance_section(facts, cite))
    return DocumentContent(
        title=f"Model card: {ref.model} v{ref.version}",
        subtitle=f"{facts.config.project} · {built_from(facts)}",
        sections=sections,
    )


def _gate_badge(facts: VersionFacts, step: str) -> Badge | None:
    event = facts.evidence.latest(f"{step}_checked")
    if event is None:
        return Badge("not run", "warn")
    return Badge("passed", "good") if event.payload.get("passed") else Badge("failed", "bad")


def _overview(facts: VersionFacts, cite: Citations) -> list[Block]:
    metrics = metric_values(facts)
    check = facts.check
    present = sum(item.passed for item in check.items)
    shown = [m for m in ("roc_auc", "accuracy", "f1", "rmse", "r2") if m in metrics][:2]
    kpis = [Kpi(name, format_number(metrics[name]), "held-out test set") for name in shown]
    kpis += [
        Kpi(
            "risk class",
            check.risk_label,
            ", ".join(check.classification.refs) if check.classification else "not classified",
        ),
        Kpi(
            "mandatory items",
            f"{present}/{len(check.items)}",
            "present" if check.ok else "missing: " + ", ".join(check.missing)[:60],
            "good" if check.ok else "warn",
        ),
        Kpi("version", f"v{facts.ref.version}", ", ".join(facts.aliases) or "no alias"),
    ]
    purpose = facts.config.use_case.purpose if facts.config.use_case else None
    blocks: list[Block] = [KpiGrid(kpis)]
    if purpose:
        blocks.append(Text(purpose))
    blocks.append(
        Text(
            f"This card is {built_from(facts)}: every value below names the ledger event, run "
            "manifest or stored report it was read from; what none of them holds is marked "
            "'not recorded' with how to record it.",
            "info",
        )
    )
    return blocks


def _limitations(facts: VersionFacts, cite: Citations) -> list[Block]:
    """What the measurements say the model does less well, then the robustness checks."""
    found = limitation_notes(facts)
    blocks: list[Block] = [Text(text, "warn") for text in found]
    if not found:
        blocks.append(Text("The evidence steps recorded no limitation beyond the checks below."))
    return [*blocks, *robustness_blocks(facts, cite)]


def limitation_notes(facts: VersionFacts) -> list[str]:
    """The limitations the evidence shows, one sentence each (model card; Annex IV item 3).

    The lowest group metric, groups too small for the fairness gate, the notes of the
    evidence reports, failed data checks, a failed or skipped train/serve skew check, and for
    a fair challenger that its decision uses the sensitive column directly.
    """
    found: list[str] = []
    lowest = _lowest_slice(facts)
    if lowest is not None:
        found.append(lowest)
    fairness = facts.fairness.document if facts.fairness else {}
    for attribute in fairness.get("attributes") or []:
        ignored = attribute.get("ignored") or []
        if ignored:
            found.append(
                f"{attribute.get('name')}: {len(ignored)} group(s) too small to be checked by "
                f"the fairness gate ({', '.join(map(str, ignored[:4]))})."
            )
    for source in (facts.evaluation, facts.fairness, facts.robustness):
        for note in (source.document if source else {}).get("notes") or []:
            found.append(str(note))
    results = (facts.validation.document if facts.validation else {}).get("results") or []
    for result in results:
        if result.get("passed") is False:
            found.append(f"data check {result.get('name')}: {result.get('message')}")
    skew = skew_limitation(facts)
    if skew is not None:
        found.append(skew)
    if facts.ref.mitigation_of is not None:
        sensitive = (facts.mitigation.document if facts.mitigation else {}).get("sensitive")
        found.append(
            f"Fair challenger of v{facts.ref.mitigation_of}: its decision applies a different "
            f"threshold per group of '{sensitive or 'the sensitive column'}', so it reads that "
            "column for every decision; its scores (and their explanation) are "
            f"v{facts.ref.mitigation_of}'s."
        )
    return list(dict.fromkeys(found))


def _lowest_slice(facts: VersionFacts) -> str | None:
    metrics = metric_values(facts)
    slices = (facts.evaluation.document if facts.evaluation else {}).get("slices") or []
    name = next((m for m in ("accuracy", "r2") if m in metrics), None)
    scored: list[tuple[float, dict[str, Any]]] = [
        (float(s["metrics"][name]), s)
        for s in slices
        if name and isinstance((s.get("metrics") or {}).get(name), int | float)
    ]
    if not scored or name is None:
        return None
    value, worst = min(scored, key=lambda pair: pair[0])
    if value >= metrics[name]:
        return None
    return (
        f"Lowest {name} on a group: {format_number(value)} for {worst.get('column')} = "
        f"{worst.get('value')} ({worst.get('count')} test rows), against "
        f"{format_number(metrics[name])} overall."
    )
