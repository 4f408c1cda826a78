"""The governance commands: classify, approve, promote, rollback, history, gc.

Only typer, the standard library and the shared CLI modules are imported here; the commands
import :mod:`boucle.governance` (and rich) when they run. Their output is printed by
:mod:`boucle.cli.governance_render`; ``classify --interactive`` asks its questions through
:mod:`boucle.cli.questionnaire`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from boucle.cli.common import ConfigOption, JsonOption, user_errors
from boucle.cli.governance_render import (
    print_classification,
    print_gc,
    print_history,
    print_policy,
    print_promotion,
    print_rollback,
    show_check,
)
from boucle.cli.questionnaire import prompt_use_case
from boucle.cli.render import console

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
                use_case = prompt_use_case(cfg)
            classification, event = classify_project(cfg, use_case=use_case)
            if as_json:
                typer.echo(json.dumps({**classification.to_payload(), "event": event.index}))
                return
            print_classification(classification, event)
            print_policy(cfg, policies, classification)

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
                show_check(refused.check, as_json)
                raise
        show_check(check, as_json)
        if not as_json:
            print_promotion(check)

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
        print_rollback(result, dry_run)

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
        print_history(entries)

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
        print_gc(report)
