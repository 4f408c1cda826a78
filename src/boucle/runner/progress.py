"""Rich progress bars for a run: one line per step, a bar for the hyper-parameter search."""

from __future__ import annotations

from types import TracebackType
from typing import Any

__all__ = ["RichProgressHooks"]


class RichProgressHooks:
    """Draws the run on a rich console; use as a context manager around the run."""

    def __init__(self, console: Any | None = None, steps: tuple[str, ...] = ()) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self.console = console or Console(stderr=True)
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.fields[step]:<10}"),
            BarColumn(bar_width=30),
            MofNCompleteColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=self.console,
            transient=False,
        )
        self._tasks: dict[str, Any] = {}
        for step in steps:
            self._tasks[step] = self._progress.add_task("waiting", step=step, total=1, start=False)

    def __enter__(self) -> RichProgressHooks:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Steps announced but never started: not part of this run's graph (e.g. ``quality`` or
        # ``mitigate`` when not configured) are dropped; after a failure they say so.
        for task in self._progress.tasks:
            if task.start_time is None:
                if exc_type is None:
                    self._progress.remove_task(task.id)
                else:
                    self._progress.update(task.id, description="[dim]not run[/]", visible=True)
        self._progress.stop()

    def _task(self, step: str) -> Any:
        if step not in self._tasks:
            self._tasks[step] = self._progress.add_task("", step=step, total=1, start=False)
        return self._tasks[step]

    def before_step(self, *, step: str) -> None:
        """Start the step's line."""
        task = self._task(step)
        self._progress.start_task(task)
        self._progress.update(task, description="running")

    def after_step(self, *, step: str, status: str, seconds: float) -> None:
        """Close the step's line with its status."""
        task = self._task(step)
        label = {
            "done": f"[green]done[/] in {seconds:.1f}s",
            "cached": "[cyan]cached[/] (nothing changed, no work redone)",
            "failed": "[red]failed[/]",
        }.get(status, status)
        total = self._progress.tasks[task].total or 1
        self._progress.update(task, description=label, completed=total, total=total)

    def on_progress(self, *, step: str, completed: int, total: int | None, note: str) -> None:
        """Advance the step's bar."""
        self._progress.update(self._task(step), completed=completed, total=total, description=note)
