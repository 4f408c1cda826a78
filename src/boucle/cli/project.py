"""``boucle init`` and ``boucle doctor``: start a project, and check one."""

from __future__ import annotations

import enum
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from boucle.cli.common import ConfigOption, JsonOption, user_errors
from boucle.cli.render import console

if TYPE_CHECKING:
    from boucle.project.doctor import DoctorReport
    from boucle.project.init import InitResult

__all__ = ["register"]


class Template(enum.StrEnum):
    """The project templates of ``boucle init``."""

    classification = "classification"
    regression = "regression"


def register(app: typer.Typer) -> None:
    """Add ``boucle init`` and ``boucle doctor`` to ``app``."""
    app.command("init")(init)
    app.command("doctor")(doctor)


def init(
    name: Annotated[Path, typer.Argument(help="Folder of the new project (created if needed).")],
    template: Annotated[
        Template | None,
        typer.Option(
            "--template",
            help="Task of the project (default: guessed from --data; classification without).",
        ),
    ] = None,
    data: Annotated[
        str | None,
        typer.Option(
            "--data", help="Your table (CSV, Parquet; path or URL): inspected and snapshotted."
        ),
    ] = None,
    target: Annotated[
        str | None, typer.Option("--target", help="The column to predict (with --data).")
    ] = None,
) -> None:
    """Create a project that runs at once: boucle.yaml, features, tests, CI, pre-commit."""
    from boucle.project.init import init_project

    with user_errors():
        result = init_project(
            name, template=template.value if template else None, data=data, target=target
        )
    _print_init(result, name)


def doctor(config: ConfigOption = Path("boucle.yaml"), as_json: JsonOption = False) -> None:
    """Check a project: config, data, stores, features, tools, versions (exit 1 on a failure)."""
    from boucle.project.doctor import diagnose

    with user_errors():
        report = diagnose(config)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2))
    else:
        _print_doctor(report)
    if not report.passed:
        raise typer.Exit(1)


def _print_init(result: InitResult, name: Path) -> None:
    out = console()
    for relative in result.created:
        out.print(f"created  {relative}", markup=False)
    for relative in result.skipped:
        out.print(f"skipped  {relative} (already there, not overwritten)", markup=False)
    found = result.inspection
    out.print(f"\nproject {result.directory.name} in {result.directory}", markup=False)
    out.print(f"  data       {result.source} ({found.rows} rows)", markup=False)
    out.print(f"  task       {found.task} ({found.task_reason})", markup=False)
    target = found.target + (
        f", positive class {found.positive_class!r}" if found.positive_class else ""
    )
    out.print(f"  target     {target}", markup=False)
    sensitive = ", ".join(f"{s.column} ({s.reason})" for s in found.sensitive) or "none found"
    out.print(f"  sensitive  {sensitive}", markup=False)
    if result.snapshot_id:
        out.print(f"  snapshot   {result.snapshot_id} (in .boucle/)", markup=False)
    out.print("\nNext:", markup=False)
    for command in (f"cd {name}", "boucle doctor", "boucle run"):
        out.print(f"  {command}", markup=False)


def _print_doctor(report: DoctorReport) -> None:
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"boucle doctor: {report.config_path}", title_justify="left")
    for column in ("check", "status", "found", "fix"):
        table.add_column(column, overflow="fold")
    style = {"ok": "green", "warn": "yellow", "fail": "bold red", "skipped": "dim"}
    for check in report.checks:
        status = f"[{style[check.status]}]{check.status}[/]"
        table.add_row(escape(check.name), status, escape(check.detail), escape(check.fix))
    console().print(table)
    failed = sum(check.status == "fail" for check in report.checks)
    console().print(
        "all checks passed" if report.passed else f"{failed} check(s) failed: see 'fix'",
        markup=False,
    )
