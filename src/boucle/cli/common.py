"""What every command module shares: option types, the error printer, the progress runner.

Command modules (``boucle.cli.<topic>``) expose ``register(app)`` and import only typer and
this module at import time, so ``boucle --help`` stays fast.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from boucle.cli.render import error_console
from boucle.errors import BoucleError

__all__ = ["ConfigOption", "JsonOption", "progress_run", "user_errors"]

ConfigOption = Annotated[
    Path, typer.Option("--config", "-c", help="Path to boucle.yaml.", show_default=True)
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn a BoucleError into one clear paragraph on stderr and its exit code."""
    try:
        yield
    except BoucleError as exc:
        error_console().print(f"[bold red]error:[/] {exc.message}", highlight=False)
        if exc.hint:
            error_console().print(f"[bold]fix:[/] {exc.hint.strip()}", highlight=False)
        raise typer.Exit(exc.exit_code) from None


def progress_run(steps: tuple[str, ...], work: Callable[[Any], Any]) -> Any:
    """Run ``work(hooks)`` under rich progress bars for ``steps`` on stderr."""
    from boucle.runner.progress import RichProgressHooks

    with RichProgressHooks(console=error_console(), steps=steps) as hooks:
        return work(hooks)
