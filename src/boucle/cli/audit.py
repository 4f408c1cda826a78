"""``boucle audit``: verify the ledger, list its events, export and check audit bundles."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from boucle.cli.common import ConfigOption, JsonOption, user_errors
from boucle.cli.render import console, error_console, print_audit_log

if TYPE_CHECKING:
    from boucle.ledger import LedgerEvent

__all__ = ["register"]

audit_app = typer.Typer(
    help="The tamper-evident audit ledger.", no_args_is_help=True, rich_markup_mode=None
)


def register(app: typer.Typer) -> None:
    """Add the ``audit`` command group to ``app``."""
    app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify(
    config: ConfigOption = Path("boucle.yaml"),
    bundle: Annotated[
        Path | None,
        typer.Option("--bundle", help="Check an exported bundle offline instead of the ledger."),
    ] = None,
    expect: Annotated[
        list[str] | None,
        typer.Option(
            "--expect",
            help="An anchor the ledger must still hold: INDEX:HASH as printed by a previous "
            "verify, or an audit bundle (.zip); repeatable. Reveals deleted last events.",
        ),
    ] = None,
) -> None:
    """Recompute the hash chain; exit 1 naming the first bad event if anything was altered."""
    if bundle is not None:
        from boucle.ledger.bundle import verify_bundle

        with user_errors():
            check = verify_bundle(bundle)
        if check.ok:
            console().print(
                f"[green]ok[/]: bundle of lineage {check.lineage_id}: {check.events} events, "
                f"chain intact up to head {check.head_hash}.\n"
                f"whole ledger verified at export: {check.ledger_at_export}.",
                highlight=False,
            )
            return
        for problem in check.problems:
            error_console().print(f"[bold red]broken[/] {problem}", highlight=False)
        raise typer.Exit(1)
    from boucle import api
    from boucle.ledger.anchors import read_anchor

    with user_errors():
        anchors = {i: h for text in expect or [] for i, h in read_anchor(text).items()}
        result = api.audit_verify(config, anchors)
    if result.ok:
        held = f", holding the {len(anchors)} anchored event(s)" if anchors else ""
        console().print(
            f"[green]ok[/]: {result.count} events, chain intact{held} (head {result.last_hash}).",
            highlight=False,
        )
        if result.count:
            console().print(
                "keep this anchor elsewhere to detect deleted last events later: "
                f"--expect {result.count - 1}:{result.last_hash}",
                highlight=False,
            )
        return
    error_console().print(
        f"[bold red]broken[/] at event {result.first_bad_index}: {result.reason}", highlight=False
    )
    raise typer.Exit(1)


@audit_app.command("log")
def audit_log(
    config: ConfigOption = Path("boucle.yaml"),
    run_id: Annotated[str | None, typer.Option("--run", help="Only this run's events.")] = None,
    lineage: Annotated[
        str | None, typer.Option("--lineage", help="Only this lineage's events.")
    ] = None,
    kinds: Annotated[
        list[str] | None,
        typer.Option(
            "--kind", metavar="KIND", help="Only events of this kind (repeat for several)."
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """List ledger events, oldest first."""
    from boucle import api

    wanted = kinds or []
    with user_errors():
        events = api.audit_log(config, run_id=run_id, lineage_id=lineage, kinds=wanted)
        absent = sorted(set(wanted) - {e.kind for e in events})
        if absent:
            # Not an error (a kind may simply not have happened yet), but say which kinds did,
            # so a typo or a kind that this scope never records is visible at once.
            scope = api.audit_log(config, run_id=run_id, lineage_id=lineage)
            _note_absent_kinds(absent, scope, run_id=run_id, lineage=lineage)
    if as_json:
        typer.echo(json.dumps([e.to_dict() for e in events], indent=2, default=str))
    else:
        print_audit_log(events)


def _note_absent_kinds(
    absent: list[str], scope: list[LedgerEvent], *, run_id: str | None, lineage: str | None
) -> None:
    """Tell (on stderr, so ``--json`` stays parseable) which kinds occur where none matched."""
    where = " and ".join(
        part
        for part in (f"run {run_id}" if run_id else "", f"lineage {lineage}" if lineage else "")
        if part
    )
    counts = Counter(e.kind for e in scope)
    present = ", ".join(f"{kind} ({n})" for kind, n in sorted(counts.items())) or "none"
    names = ", ".join(f"'{kind}'" for kind in absent)
    error_console().print(
        f"[yellow]note[/]: no event of kind {names} in {where or 'the ledger'}. "
        f"Kinds present: {present}.",
        highlight=False,
    )


@audit_app.command("export")
def audit_export(
    out: Annotated[Path, typer.Option("--out", help="The .zip to write (never overwritten).")],
    config: ConfigOption = Path("boucle.yaml"),
    lineage: Annotated[
        str | None, typer.Option("--lineage", help="Lineage id (default: the --model's).")
    ] = None,
    ref: Annotated[
        str, typer.Option("--model", help="Alias or version whose lineage to export.")
    ] = "champion",
    as_json: JsonOption = False,
) -> None:
    """Export one lineage's events, run manifests and artifacts as a verifiable bundle."""
    from boucle.audit import describe, export_lineage, lineage_of_version
    from boucle.config import load_config

    with user_errors():
        cfg = load_config(config)
        lineage_id = lineage or lineage_of_version(cfg, ref)
        export = export_lineage(cfg, lineage_id, out)
    if as_json:
        typer.echo(json.dumps(describe(export), indent=2))
        return
    console().print(
        f"wrote {export.path}: lineage {export.lineage_id}, {export.events} events, "
        f"{export.runs} run manifest(s), {export.artifacts} artifact(s); "
        f"ledger head {export.head_hash}"
    )
    if export.missing_artifacts:
        error_console().print(
            f"[yellow]warning[/]: {len(export.missing_artifacts)} artifact(s) no longer in the "
            "store are listed as missing in the manifest."
        )
    if not export.ledger.ok:
        error_console().print(
            f"[bold red]the ledger is broken[/] at event {export.ledger.first_bad_index}: "
            f"{export.ledger.reason}. The bundle holds it as stored; its check will fail.",
            highlight=False,
        )
        raise typer.Exit(1)
    console().print(f"check it offline: boucle audit verify --bundle {export.path}")
