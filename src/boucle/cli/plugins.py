"""``boucle plugins``: the installed plug-ins (models, data checks, drift tests, gates, sinks).

Only typer and boucle.cli.common are imported here; everything else inside the commands.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from boucle.cli.common import JsonOption, user_errors

__all__ = ["register"]

_KINDS = ("model", "data_check", "drift_test", "gate", "alert_sink")


def register(app: typer.Typer) -> None:
    """Add the ``plugins`` group to ``app``."""
    plugins_app = typer.Typer(
        help="Plug-ins found through entry points, and whether they conform.",
        no_args_is_help=True,
        rich_markup_mode=None,
    )
    plugins_app.command("list")(plugins_list)
    app.add_typer(plugins_app, name="plugins")


def plugins_list(
    kind: Annotated[
        list[str] | None,
        typer.Option("--kind", help=f"Only this kind (repeatable): {', '.join(_KINDS)}."),
    ] = None,
    check: Annotated[
        bool, typer.Option("--check/--no-check", help="Run each plug-in's conformance check.")
    ] = True,
    builtins: Annotated[
        bool, typer.Option("--builtins", help="Also list boucle's built-in implementations.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """List the installed plug-ins: name, kind, distribution, conformance. Exit 1 if one fails."""
    from boucle.cli.render import console
    from boucle.errors import ConfigError
    from boucle.plugins.listing import list_plugins

    with user_errors():
        unknown = [k for k in kind or () if k not in _KINDS]
        if unknown:
            raise ConfigError(
                f"unknown plug-in kind {unknown[0]!r}.", hint=f"Use one of: {', '.join(_KINDS)}."
            )
        rows = list_plugins(tuple(kind or _KINDS), check=check, builtins=builtins)  # type: ignore[arg-type]
    if as_json:
        typer.echo(json.dumps([row.to_dict() for row in rows], indent=2))
    elif not rows:
        console().print(
            "no plug-in installed: see docs/plugins.md (entry-point groups boucle.models, "
            "boucle.checks, boucle.drift, boucle.gates, boucle.alerts)."
        )
    else:
        from rich.table import Table

        table = Table(title="boucle plug-ins", title_justify="left")
        for column in ("kind", "name", "distribution", "conformance", "detail"):
            table.add_column(column, overflow="fold")
        for row in rows:
            style = {"ok": "green", "failed": "red", "load error": "red"}.get(row.status, "")
            table.add_row(
                row.kind,
                row.name,
                row.distribution or "-",
                f"[{style}]{row.status}[/]" if style else row.status,
                row.detail,
            )
        console().print(table)
    if any(row.status in ("failed", "load error") for row in rows):
        raise typer.Exit(1)
