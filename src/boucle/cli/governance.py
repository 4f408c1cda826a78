"""``boucle classify``, ``boucle approve``, ``boucle promote``: the governance commands.

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
    from boucle.ledger import LedgerEvent

__all__ = ["register"]

VersionArgument = Annotated[
    str, typer.Argument(help="Version number (3) or alias (challenger) of the project's model.")
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
    """Add ``classify``, ``approve`` and ``promote`` to ``app``."""

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
        version: VersionArgument,
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="Only print the checklist; write nothing.")
        ] = False,
        config: ConfigOption = Path("boucle.yaml"),
        as_json: JsonOption = False,
    ) -> None:
        """Make a version champion if its risk class's mandatory items are all present."""
        from boucle.config import load_config
        from boucle.governance import PromotionRefusedError, promote_version

        with user_errors():
            cfg = load_config(config)
            try:
                check = promote_version(cfg, version, dry_run=dry_run)
            except PromotionRefusedError as refused:
                _show(refused.check, as_json)
                raise
        _show(check, as_json)
        if as_json:
            return
        ref = check.ref
        if check.promoted and check.previous_champion == ref.version:
            console().print(f"{ref.model} v{ref.version} was already champion; promotion recorded.")
        elif check.promoted:
            was = f"v{check.previous_champion}" if check.previous_champion else "none"
            console().print(
                f"[green]promoted[/] {ref.model} v{ref.version} to champion (was {was})."
            )
        else:
            console().print(
                f"dry run: {ref.model} v{ref.version} may be promoted; nothing written."
            )


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
