"""``boucle gate`` and ``boucle alerts``: the champion/challenger gates and alert rules.

Only typer and boucle.cli.common are imported here; everything else inside the commands.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from boucle.cli.common import ConfigOption, JsonOption, user_errors

if TYPE_CHECKING:
    from boucle.monitor.alerts import AlertOutcome
    from boucle.registry.gates import GateDecision

__all__ = ["register"]

#: Exit code of ``boucle alerts check`` when a rule fired (as ``boucle monitor`` on drift).
ALERT_EXIT = 3


def register(app: typer.Typer) -> None:
    """Add ``gate`` and the ``alerts`` group to ``app``."""
    app.command("gate")(gate)
    alerts_app = typer.Typer(
        help="Alert rules on monitored values, and their sinks.",
        no_args_is_help=True,
        rich_markup_mode=None,
    )
    alerts_app.command("check")(alerts_check)
    alerts_app.command("test")(alerts_test)
    app.add_typer(alerts_app, name="alerts")


def gate(
    challenger: Annotated[
        str, typer.Argument(help="Challenger: alias, version number or NAME@alias.")
    ] = "challenger",
    against: Annotated[
        str, typer.Option("--against", help="Version to beat: alias or number.")
    ] = "champion",
    recent: Annotated[
        Path | None,
        typer.Option("--recent", help="Recent labelled rows (CSV/Parquet) added to the test rows."),
    ] = None,
    config: ConfigOption = Path("boucle.yaml"),
    as_json: JsonOption = False,
) -> None:
    """Evaluate the gates (thresholds, beats champion, slices, parity, data); exit 1 on a fail."""
    from boucle import api

    with user_errors():
        decision = api.gate(challenger, config, against=against, recent=recent)
    if as_json:
        typer.echo(json.dumps(decision.to_dict(), indent=2, default=str))
    else:
        _print_decision(decision)
    if not decision.passed:
        raise typer.Exit(1)


def alerts_check(
    values: Annotated[
        Path, typer.Option("--values", help="JSON of monitored values, or a drift report.")
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only evaluate: send and record nothing.")
    ] = False,
    config: ConfigOption = Path("boucle.yaml"),
    as_json: JsonOption = False,
) -> None:
    """Evaluate the alert rules on a values file and fire them; exit 3 when one fires."""
    from boucle import api

    with user_errors():
        _log_alerts_to_stderr(config)
        outcomes = api.alerts_check(values, config, fire=not dry_run)
    if as_json:
        typer.echo(json.dumps([o.to_dict() for o in outcomes], indent=2, default=str))
    else:
        _print_outcomes(outcomes)
    if any(o.status in ("fired", "triggered") for o in outcomes):
        raise typer.Exit(ALERT_EXIT)


def alerts_test(
    sink: Annotated[str, typer.Argument(help="Name of the sink under alerts.sinks (or 'log').")],
    config: ConfigOption = Path("boucle.yaml"),
) -> None:
    """Send a test alert to one sink (with retries); exit 1 if it could not be delivered."""
    from boucle import api
    from boucle.cli.render import console, error_console

    with user_errors():
        _log_alerts_to_stderr(config)
        outcome = api.alerts_test(sink, config)
    result = outcome.sinks.get(sink, "failed: not attempted")
    if result == "sent":
        console().print(f"sent a test alert to '{sink}' (ledger event {outcome.event_index})")
        return
    error_console().print(f"[bold red]{sink}[/]: {result}", highlight=False)
    raise typer.Exit(1)


def _log_alerts_to_stderr(config: Path) -> None:
    """Show what ``log`` sinks write: their loggers print to stderr at INFO."""
    import logging
    import sys

    from boucle.config import load_config
    from boucle.config.alert_sinks import LogSinkConfig

    names = {"boucle.alerts"}
    names |= {
        sink.logger
        for sink in load_config(config).alerts.sinks.values()
        if isinstance(sink, LogSinkConfig)
    }
    for name in names:
        logger = logging.getLogger(name)
        if not logger.handlers:
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
            logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def _print_decision(decision: GateDecision) -> None:
    from rich.table import Table

    from boucle.cli.render import console

    against = (
        f"champion v{decision.champion_version}"
        if decision.champion_version is not None
        else "no champion"
    )
    rows = ", ".join(f"{k} {v}" for k, v in decision.rows.items() if v)
    table = Table(
        title=f"gate: {decision.model} v{decision.challenger_version} vs {against} "
        f"({decision.metric}, {decision.test}; rows: {rows})",
        title_justify="left",
    )
    for column in ("check", "result", "value", "threshold", "detail"):
        table.add_column(column, overflow="fold")
    colours = {"passed": "green", "failed": "red", "skipped": "yellow"}
    for check in decision.checks:
        table.add_row(
            check.name,
            f"[{colours[check.status]}]{check.status}[/]",
            _cell(check.value),
            _cell(check.threshold),
            check.detail,
        )
    console().print(table)
    for note in decision.notes:
        console().print(f"note: {note}")
    verdict = "[green]PASSED[/]" if decision.passed else "[red]FAILED[/]"
    failed = f" (failed: {', '.join(decision.failures)})" if decision.failures else ""
    console().print(
        f"{verdict}{failed}; recorded as gate_evaluated (ledger event {decision.event_index})"
    )


def _print_outcomes(outcomes: list[AlertOutcome]) -> None:
    from rich.table import Table

    from boucle.cli.render import console

    table = Table(title=f"{len(outcomes)} alert rules", title_justify="left")
    for column in ("rule", "severity", "status", "value", "condition", "sinks / reason"):
        table.add_column(column, overflow="fold")
    colours = {"fired": "red", "triggered": "red", "cooldown": "yellow", "quiet": "green"}
    for outcome in outcomes:
        sinks = ", ".join(f"{k}: {v}" for k, v in outcome.sinks.items())
        table.add_row(
            outcome.rule,
            outcome.severity,
            f"[{colours.get(outcome.status, 'white')}]{outcome.status}[/]",
            _cell(outcome.value),
            outcome.when,
            sinks or outcome.reason or "-",
        )
    console().print(table)
