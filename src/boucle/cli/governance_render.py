"""Rich rendering of the governance commands' results: classification, checklist, history, gc.

Each ``print_*`` function prints one command's result on :func:`boucle.cli.render.console`;
rich is imported inside the functions that build tables, so ``boucle --help`` stays fast.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import typer

from boucle.cli.render import console

if TYPE_CHECKING:
    from boucle.governance import Classification, PolicySet, PromotionCheck
    from boucle.governance.history import HistoryEntry
    from boucle.governance.retention import GcReport
    from boucle.governance.rollback import RollbackResult
    from boucle.ledger import LedgerEvent

__all__ = [
    "print_checklist",
    "print_classification",
    "print_gc",
    "print_history",
    "print_policy",
    "print_promotion",
    "print_rollback",
    "show_check",
]


def print_classification(classification: Classification, event: LedgerEvent) -> None:
    """Print the risk class, the provisions that set it and the ledger event recording it."""
    from rich.table import Table

    out = console()
    out.print(f"use case: {classification.purpose}")
    out.print(f"risk class: [bold]{classification.label}[/] ({classification.risk_class})")
    if classification.triggers:
        table = Table(show_header=True, title_justify="left")
        for column in ("provision", "class", "why"):
            table.add_column(column, overflow="fold")
        for trigger in classification.triggers:
            table.add_row(trigger.ref, trigger.risk_class, trigger.reason)
        out.print(table)
    for note in classification.notes:
        out.print(f"note: {note}")
    out.print(
        f"recorded: ledger event #{event.index} use_case_classified "
        f"(use case {classification.use_case_hash[:12]})"
    )


def print_policy(config: Any, policies: PolicySet, classification: Classification) -> None:
    """Print what the risk class's policy requires before ``boucle promote``."""
    from boucle.governance import effective_policy

    policy = effective_policy(config, policies, classification.risk_class)
    if not policy.promotion_allowed:
        console().print("promotion: never allowed for a prohibited practice (Art. 5).")
        return
    needed: list[str] = [*policy.require]
    if policy.min_retention_days:
        needed.append(f"retention ≥ {policy.min_retention_days} days")
    needed += [f"approval by {role}" for role in policy.approvals]
    console().print(
        f"before `boucle promote` ({policies.source}): {', '.join(needed) or 'nothing'}"
    )


def print_checklist(check: PromotionCheck) -> None:
    """Print the promotion checklist: each item, what was found and how to get it."""
    from rich.table import Table

    ref = check.ref
    table = Table(
        title=f"promote {ref.model} v{ref.version} → champion: {check.risk_label} policy "
        f"({check.policy_source})",
        title_justify="left",
    )
    for column in ("", "item", "found", "how to get it"):
        table.add_column(column, overflow="fold")
    for item in check.items:
        mark = "[green]✓[/]" if item.passed else "[red]✗[/]"
        table.add_row(mark, item.label, item.detail, item.fix)
    out = console()
    out.print(table)
    for note in check.notes:
        out.print(f"note: {note}")
    counts = ", ".join(f"{k} {v}" for k, v in sorted(check.evidence.counts().items()))
    out.print(f"evidence {check.evidence.hash[:16]}…: {counts or 'no evidence events'}")


def show_check(check: PromotionCheck, as_json: bool) -> None:
    """Print the promotion check as JSON or as the checklist table."""
    if as_json:
        typer.echo(json.dumps(check.to_dict(), indent=2, default=str))
    else:
        print_checklist(check)


def print_promotion(check: PromotionCheck) -> None:
    """Print what the promotion did (or, in a dry run, would do)."""
    ref, out = check.ref, console()
    target = f"{ref.model} v{ref.version} to {check.alias}"
    if check.forced:
        out.print(
            f"[yellow]forced:[/] skipped {', '.join(check.overridden)} (reason: {check.reason})"
        )
    if check.promoted and check.previous == ref.version:
        out.print(f"{ref.model} v{ref.version} was already {check.alias}; promotion recorded.")
    elif check.promoted:
        was = f"v{check.previous}" if check.previous is not None else "none"
        out.print(f"[green]promoted[/] {target} (was {was}); ledger event #{check.event_index}.")
    else:
        out.print(f"dry run: {target} may be promoted; nothing written.")


def print_rollback(result: RollbackResult, dry_run: bool) -> None:
    """Print the alias's move back (or, in a dry run, the move it would make)."""
    head = "dry run: would roll back" if dry_run else "[green]rolled back[/]"
    where = "nothing written" if dry_run else f"ledger event #{result.event_index}"
    console().print(
        f"{head} {result.model}@{result.alias}: v{result.from_version} → v{result.version} "
        f"({where})."
    )


def print_history(entries: list[HistoryEntry]) -> None:
    """Print the promotions, rollbacks and refusals as one table."""
    from rich.table import Table

    if not entries:
        console().print("no promotion, rollback or refusal recorded yet.")
        return
    table = Table(title="promotion history", title_justify="left")
    for column in ("#", "when", "action", "change", "by", "risk", "evidence"):
        table.add_column(column, no_wrap=True)
    for column in ("gate", "forced / reason / items"):
        table.add_column(column, overflow="fold", ratio=1)
    for entry in entries:
        table.add_row(
            str(entry.index),
            entry.time[:16].replace("T", " "),
            entry.action,
            _change(entry),
            entry.actor,
            entry.risk_class or "",
            (entry.evidence_hash or "")[:8],
            _gate_text(entry.gate),
            _why(entry),
        )
    console().print(table)


def _change(entry: HistoryEntry) -> str:
    target = f"{entry.alias} v{entry.version}"
    return target if entry.previous is None else f"{target} (was v{entry.previous})"


def _gate_text(gate: dict[str, Any] | None) -> str:
    if not gate:
        return ""
    verdict = "passed" if gate.get("passed") else "failed"
    against = gate.get("champion_version")
    parts = [f"#{gate.get('event')} {verdict}" + (f" vs v{against}" if against else "")]
    for check in gate.get("checks") or []:
        if check.get("status") == "skipped" or check.get("value") is None:
            continue
        value = check["value"]
        shown = f"{value:.4g}" if isinstance(value, float) else str(value)
        parts.append(f"{check.get('name')}={shown}")
    return "; ".join(parts)


def _why(entry: HistoryEntry) -> str:
    parts = []
    if entry.forced:
        parts.append("FORCED")
    if entry.reason:
        parts.append(entry.reason)
    if entry.items:
        label = "missing" if entry.action == "refused" else "skipped"
        parts.append(f"{label}: {', '.join(entry.items)}")
    return "; ".join(parts)


def print_gc(report: GcReport) -> None:
    """Print the retention in force and what gc deleted (or, in a dry run, would delete)."""
    from rich.table import Table

    out = console()
    retention = report.retention
    out.print(
        f"retention: {retention.days} days ({retention.source}; {retention.risk_class} risk, "
        f"minimum {retention.minimum}); days before {report.cutoff} are past it."
    )
    for note in (*report.notes, *report.skipped):
        out.print(f"note: {note}")
    if report.items:
        table = Table(title_justify="left")
        for column in ("kind", "path", "files", "bytes"):
            table.add_column(column, overflow="fold")
        for item in report.items:
            table.add_row(item.kind, item.path, str(item.files), str(item.bytes))
        out.print(table)
    what = f"{len(report.items)} item(s), {report.bytes} bytes; {report.kept_days} day(s) kept"
    if report.dry_run:
        out.print(f"dry run: would delete {what}; nothing deleted or written.")
    else:
        out.print(f"deleted {what}; recorded as gc_done (ledger event #{report.event_index}).")
