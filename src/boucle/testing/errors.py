"""The one error the conformance suite raises, and how it names what it checks."""

from __future__ import annotations

import re
from typing import NoReturn

from boucle.errors import BoucleError

__all__ = ["ConformanceError", "Verdict", "describe"]

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")


class ConformanceError(BoucleError, AssertionError):
    """A plug-in breaks its protocol: ``plugin`` (who), ``check`` (which rule), ``problem``.

    Also an :class:`AssertionError`, so that a failed check reads as a failed test under
    pytest or unittest, like scikit-learn's ``check_estimator``.
    """

    exit_code = 1

    def __init__(self, plugin: str, check: str, problem: str, *, hint: str | None = None) -> None:
        self.plugin = plugin
        self.check = check
        self.problem = problem
        stop = "" if problem.rstrip().endswith((".", "!", "?")) else "."
        super().__init__(f"{plugin} fails {check}: {problem}{stop}", hint=hint)


def describe(kind: str, obj: object) -> str:
    """How messages name a plug-in: ``gate 'holdout' (HoldoutGate)``."""
    name = getattr(obj, "name", None)
    cls = obj.__name__ if isinstance(obj, type) else type(obj).__name__
    if isinstance(name, str) and name:
        return f"{kind} '{name}' ({cls})"
    return f"{kind} {cls}"


class Verdict:
    """Raise :class:`ConformanceError` for one plug-in and one suite function, with context."""

    def __init__(self, plugin: str, suite: str, hint: str) -> None:
        self.plugin = plugin
        self.suite = suite
        self.hint = hint

    def fail(self, aspect: str, problem: str) -> NoReturn:
        """Raise for ``aspect`` of the protocol."""
        raise ConformanceError(self.plugin, f"{self.suite} ({aspect})", problem, hint=self.hint)

    def expect(self, condition: bool, aspect: str, problem: str) -> None:
        """Raise unless ``condition``."""
        if not condition:
            self.fail(aspect, problem)
