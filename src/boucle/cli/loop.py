"""``boucle loop``: one iteration of the closed loop, or one every ``--every``.

Only typer and boucle.cli.common / render are imported here; everything else inside.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from boucle.cli.common import ConfigOption, JsonOption, user_errors

if TYPE_CHECKING:
    from boucle.errors import BoucleError
    from boucle.loop import LoopIteration

__all__ = ["register"]

#: Exit code when the retrain itself failed (the failure is recorded in the ledger).
RETRAIN_FAILED_EXIT = 1


def register(app: typer.Typer) -> None:
    """Add ``loop`` to ``app``."""
    app.command("loop")(loop)


def loop(
    config: ConfigOption = Path("boucle.yaml"),
    every: Annotated[
        str | None,
        typer.Option("--every", help="Repeat every period (15m, 1h, 1d) until SIGINT/SIGTERM."),
    ] = None,
    max_iterations: Annotated[
        int | None,
        typer.Option("--max-iterations", min=1, help="With --every: stop after this many."),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Monitor and evaluate the rules; train and record nothing."),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Monitor the champion; if a retrain rule fires, retrain, gate, promote or keep; notify.

    Exit 1 when the retrain failed; 2 on an error (another loop running, bad config).
    """
    from boucle.config import load_config
    from boucle.loop import run_iteration

    def iterate() -> LoopIteration:
        cfg = load_config(config)  # read each time: a long-running loop follows edits
        _alerts_to_stderr()
        return run_iteration(cfg, dry_run=dry_run, on_progress=_progress(as_json))

    if every is None:
        with user_errors():
            iteration = iterate()
        _show(iteration, as_json, lines=False)
        if iteration.decision == "retrain_failed":
            raise typer.Exit(RETRAIN_FAILED_EXIT)
        return
    from boucle.config.durations import parse_duration
    from boucle.loop import run_every

    with user_errors():
        try:
            period = parse_duration(every)
        except ValueError as exc:
            from boucle.errors import ConfigError

            raise ConfigError(f"--every: {exc}.", hint="Use e.g. 15m, 1h or 1d.") from None
        run_every(
            iterate,
            period,
            max_iterations=max_iterations,
            on_iteration=lambda it: _show(it, as_json, lines=True),
            on_error=_print_error,
            on_stop=lambda why: _note(f"loop {why}; exiting"),
        )


def _progress(quiet: bool) -> Callable[[str], None]:
    from boucle.cli.render import error_console

    def say(line: str) -> None:
        if not quiet:
            error_console().print(f"[dim]…[/] {line}", highlight=False)

    return say


def _alerts_to_stderr() -> None:
    """Show what the ``log`` sink writes (alerts and loop notifications) on stderr."""
    import logging
    import sys

    logger = logging.getLogger("boucle.alerts")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def _note(text: str) -> None:
    from boucle.cli.render import error_console

    error_console().print(text, highlight=False)


def _print_error(exc: BoucleError) -> None:
    from boucle.cli.render import error_console

    error_console().print(f"[bold red]error:[/] {exc.message}", highlight=False)
    if exc.hint:
        error_console().print(f"[bold]fix:[/] {exc.hint.strip()}", highlight=False)


def _show(iteration: LoopIteration, as_json: bool, *, lines: bool) -> None:
    if as_json:
        document = iteration.to_dict()
        typer.echo(json.dumps(document, default=str) if lines else json.dumps(document, indent=2))
        return
    from rich.table import Table

    from boucle.cli.render import console

    out = console()
    lineage = iteration.champion_lineage or "-"
    out.print(
        f"loop {iteration.iteration_id}: {iteration.model} champion v"
        f"{iteration.champion_version} (lineage {lineage})"
        + (" [dry run]" if iteration.dry_run else "")
    )
    table = Table(box=None, pad_edge=False)
    for column in ("rule", "status", "value", "when"):
        table.add_column(column)
    for rule in iteration.rules:
        value = "-" if rule.value is None else f"{rule.value:.4g}"
        table.add_row(rule.name, rule.status, value, rule.when + _why(rule.reason))
    out.print(table)
    labels = iteration.values.get("labels", {})
    out.print(f"labelled records: {labels.get('new', 0)} new, {labels.get('total', 0)} in all")
    out.print(f"decision: {iteration.decision}{_detail(iteration)}")
    for reason in iteration.reasons:
        out.print(f"  - {reason}", markup=False)
    if iteration.event_index is not None:
        out.print(f"recorded: loop_iteration (ledger event {iteration.event_index})")


def _why(reason: str | None) -> str:
    return f" ({reason})" if reason else ""


def _detail(iteration: LoopIteration) -> str:
    version = iteration.challenger_version
    if iteration.decision == "promoted":
        return f": challenger v{version} passed the gates and is the new champion"
    if iteration.decision == "kept_champion":
        return f": challenger v{version} stays challenger; champion v{iteration.champion_version}"
    if iteration.decision == "awaiting_promotion":
        return f": challenger v{version} passed the gates; promotion left to a person"
    return ""
