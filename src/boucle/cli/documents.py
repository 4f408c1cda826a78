"""``boucle`` commands of this topic; ``register(app)`` adds them to the main app."""

from __future__ import annotations

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
