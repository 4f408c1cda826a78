"""The governance commands: classify, approve, promote, rollback, history, gc.

Only typer, the standard library and the shared CLI modules are imported here; the commands
import :mod:`boucle.governance` (and rich) when they run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from boucle.cli.common import ConfigOption, JsonOption, user_errors
from boucle.cli.render import console, error_console

if TYPE_CHECKING:
    from boucle.governance import Classification, PolicySet, PromotionCheck
    from boucle.governance.history import HistoryEntry
    from boucle.governance.retention import GcReport
    from boucle.governance.rollback import RollbackResult
    from boucle.ledger import LedgerEvent

__all__ = ["register"]

VersionArgument = Annotated[
    str, typer.Argument(help="Version number (3) or alias (challenger) of the project's model.")
]
OptionalVersion = Annotated[
    str | None,
    typer.Argument(
        help="Version number (3) or alias of the project's model [default: challenger]."
    ),
]
ReasonOption = Annotated[
    str | None, typer.Option("--reason", help="Why; recorded in the ledger event.")
]
ByOption = Annotated[
    str | None,
    typer.Option("--by", help="Who does it, recorded as the event's actor [default: user@host]."),
]


class _TerminalAsker:
    """The questionnaire on the terminal (typer prompts; numbered choices)."""

    def text(self, question: str, *, required: bool) -> str:
        while True:
            answer = str(typer.prompt(question, default="" if not required else None)).strip()
            if answer or not required:
                return answer
            error_console().print("an answer is required")

    def choose(self, question: str, options: list[tuple[str, str]]) -> str:
        self._list(question, options)
        while True:
            picked = self._numbers(typer.prompt("Number", default="1"), len(options))
            if picked is not None and len(picked) == 1:
                return options[picked[0]][0]
            error_console().print(f"type one number from 1 to {len(options)}")

    def choose_many(self, question: str, options: list[tuple[str, str]]) -> list[str]:
        self._list(question, options)
        while True:
            answer = typer.prompt("Numbers, comma-separated (empty: none)", default="")
            picked = self._numbers(answer, len(options))
            if picked is not None:
                return [options[i][0] for i in picked]
            error_console().print(f"type numbers from 1 to {len(options)}, e.g. 1,3")

    def confirm(self, question: str) -> bool:
        return bool(typer.confirm(question, default=False))

    @staticmethod
    def _list(question: str, options: list[tuple[str, str]]) -> None:
        typer.echo(question)
        for number, (value, description) in enumerate(options, start=1):
            typer.echo(f"  {number:>2}. {value}" + (f" ({description})" if description else ""))

    @staticmethod
    def _numbers(answer: str, count: int) -> list[int] | None:
        parts = [p.strip() for p in str(answer).split(",") if p.strip()]
        if not all(p.isdigit() and 1 <= int(p) <= count for p in parts):
            return None
        return list(dict.fromkeys(int(p) - 1 for p in parts))


def _print_classification(classification: Classification, event: LedgerEvent) -> None:
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


def _print_policy(config: Any, policies: PolicySet, classification: Classification) -> None:
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


def _print_checklist(check: PromotionCheck) -> None:
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


def register(app: typer.Typer) -> None:
    """Add ``classify``, ``approve``, ``promote``, ``rollback``, ``history`` and ``gc``."""

    @app.command("classify")
    def classify(
        config: ConfigOption = Path("boucle.yaml"),
        interactive: Annotated[
            bool, typer.Option("--interactive", help="Answer the AI Act questionnaire.")
        ] = False,
        as_json: JsonOption = False,
    ) -> None:
        """Classify the use case under the EU AI Act and record it in the ledger."""
        from boucle.config import load_config
        from boucle.governance import classify_project, load_policies

        with user_errors():
            cfg = load_config(config)
            policies = load_policies(cfg)  # a bad policies.yaml fails before anything is recorded
            use_case = None
            if interactive:
                use_case = _ask(cfg)
            classification, event = classify_project(cfg, use_case=use_case)
            if as_json:
                typer.echo(json.dumps({**classification.to_payload(), "event": event.index}))
                return
            _print_classification(classification, event)
            _print_policy(cfg, policies, classification)

    @app.command("approve")
    def approve(
        version: VersionArgument,
        role: Annotated[str, typer.Option("--role", help="Role approving (governance.roles).")],
        by: Annotated[str, typer.Option("--by", help="Name listed under the role.")],
        comment: Annotated[str, typer.Option("--comment", help="What was reviewed.")] = "",
        config: ConfigOption = Path("boucle.yaml"),
    ) -> None:
        """Approve a version's current evidence as ROLE (recorded in the ledger)."""
        from boucle.config import load_config
        from boucle.governance import approve_version

        with user_errors():
            cfg = load_config(config)
            approval, evidence = approve_version(cfg, version, role=role, by=by, comment=comment)
        counts = ", ".join(f"{k} {v}" for k, v in sorted(evidence.counts().items()))
        console().print(
            f"approved {approval.model} v{approval.version} as {approval.role} by {approval.by}: "
            f"ledger event #{approval.index}, evidence {approval.evidence_hash[:16]}… "
            f"({counts or 'no evidence events yet'})."
        )
        console().print("New evidence for this version makes this approval stale.")

    @app.command("promote")
    def promote(
        version: OptionalVersion = None,
        version_option: Annotated[
            str | None,
            typer.Option("--version", help="Same as the VERSION argument (give one of them)."),
        ] = None,
        to: Annotated[str, typer.Option("--to", help="Alias to move.")] = "champion",
        force: Annotated[
            bool,
            typer.Option(
                "--force",
                help="Promote despite missing items (needs --reason); never skips "
                "'prohibited' nor the approvals of a high-risk version.",
            ),
        ] = False,
        reason: ReasonOption = None,
        by: ByOption = None,
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="Only print the checklist; write nothing.")
        ] = False,
        config: ConfigOption = Path("boucle.yaml"),
        as_json: JsonOption = False,
    ) -> None:
        """Move an alias (champion) to a version if its policy and champion gate pass."""
        from boucle.config import load_config
        from boucle.errors import ConfigError
        from boucle.governance import PromotionRefusedError
        from boucle.governance.promote import promote_version

        with user_errors():
            if version and version_option and version != version_option:
                raise ConfigError(
                    f"two versions given: '{version}' and --version '{version_option}'.",
                    hint="Give the version once, as an argument or with --version.",
                )
            chosen = version or version_option or "challenger"
            cfg = load_config(config)
            try:
                check = promote_version(
                    cfg, chosen, to=to, dry_run=dry_run, force=force, reason=reason, actor=by
                )
            except PromotionRefusedError as refused:
                _show(refused.check, as_json)
                raise
        _show(check, as_json)
        if not as_json:
            _print_promotion(check)

    @app.command("rollback")
    def rollback(
        alias: Annotated[str, typer.Option("--alias", help="Alias to roll back.")] = "champion",
        reason: ReasonOption = None,
        by: ByOption = None,
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="Say what would happen; write nothing.")
        ] = False,
        config: ConfigOption = Path("boucle.yaml"),
        as_json: JsonOption = False,
    ) -> None:
        """Give the champion back to the previous champion (from the ledger's history)."""
        from boucle.config import load_config
        from boucle.governance.rollback import rollback_alias

        with user_errors():
            cfg = load_config(config)
            result = rollback_alias(cfg, alias=alias, reason=reason, actor=by, dry_run=dry_run)
        if as_json:
            typer.echo(json.dumps({**result.to_dict(), "dry_run": dry_run}, indent=2))
            return
        _print_rollback(result, dry_run)

    @app.command("history")
    def history(
        alias: Annotated[
            str | None, typer.Option("--alias", help="Only the entries of this alias.")
        ] = None,
        config: ConfigOption = Path("boucle.yaml"),
        as_json: JsonOption = False,
    ) -> None:
        """List every promotion, rollback and refusal of the project's model, with evidence."""
        from boucle.config import load_config
        from boucle.governance.history import read_history

        with user_errors():
            entries = read_history(load_config(config), alias)
        if as_json:
            typer.echo(json.dumps([entry.to_dict() for entry in entries], indent=2, default=str))
            return
        _print_history(entries)

    @app.command("gc")
    def gc(
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="List what would be deleted; delete nothing.")
        ] = False,
        config: ConfigOption = Path("boucle.yaml"),
        as_json: JsonOption = False,
    ) -> None:
        """Delete prediction-log days past the retention period and stale store temp files."""
        from boucle.config import load_config
        from boucle.governance.retention import run_gc

        with user_errors():
            report = run_gc(load_config(config), dry_run=dry_run)
        if as_json:
            typer.echo(json.dumps(report.to_dict(), indent=2))
            return
        _print_gc(report)


def _print_promotion(check: PromotionCheck) -> None:
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


def _print_rollback(result: RollbackResult, dry_run: bool) -> None:
    head = "dry run: would roll back" if dry_run else "[green]rolled back[/]"
    where = "nothing written" if dry_run else f"ledger event #{result.event_index}"
    console().print(
        f"{head} {result.model}@{result.alias}: v{result.from_version} → v{result.version} "
        f"({where})."
    )


def _print_history(entries: list[HistoryEntry]) -> None:
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


def _print_gc(report: GcReport) -> None:
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


def _show(check: PromotionCheck, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(check.to_dict(), indent=2, default=str))
    else:
        _print_checklist(check)


def _ask(cfg: Any) -> Any:
    """Run the questionnaire; offer to append the answers to boucle.yaml."""
    from boucle.governance.questionnaire import append_use_case, ask_use_case, use_case_yaml

    use_case = ask_use_case(_TerminalAsker())
    typer.echo("\n" + use_case_yaml(use_case))
    if cfg.use_case is not None:
        if cfg.use_case != use_case:
            error_console().print(
                f"{cfg.path} already has a different use_case: section; replace it with the "
                "one above, then run `boucle classify` again so promotion sees it."
            )
        return use_case
    if cfg.path is not None and typer.confirm(f"Add this use_case: to {cfg.path}?", default=True):
        append_use_case(cfg.path, use_case)
        console().print(f"added use_case: to {cfg.path}")
    return use_case
