"""Run hooks: keyword-only ``before_*`` / ``after_*`` callbacks (progress bars, logging)."""

from __future__ import annotations

from typing import Protocol

__all__ = ["NullHooks", "RunHooks"]


class RunHooks(Protocol):
    """What the runner calls while it works; every argument is keyword-only."""

    def before_step(self, *, step: str) -> None:
        """A step is about to be looked up in the cache or run."""

    def after_step(self, *, step: str, status: str, seconds: float) -> None:
        """A step finished: ``status`` is ``done``, ``cached`` or ``failed``."""

    def on_progress(self, *, step: str, completed: int, total: int | None, note: str) -> None:
        """A long step advanced (e.g. one more search trial)."""


class NullHooks:
    """Hooks that do nothing (the Python API's default)."""

    def before_step(self, *, step: str) -> None:
        """Do nothing."""

    def after_step(self, *, step: str, status: str, seconds: float) -> None:
        """Do nothing."""

    def on_progress(self, *, step: str, completed: int, total: int | None, note: str) -> None:
        """Do nothing."""
