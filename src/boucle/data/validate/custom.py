"""Plug-in data checks (``data.checks.custom``): load each one, run it, keep its results.

A plug-in that raises or returns something else than :class:`CheckResult` objects fails
closed: its entry becomes one failed result, at the configured severity, saying what went
wrong, so an ``error`` check that breaks stops the run instead of passing unseen.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from boucle.data.validate.report import CheckResult
from boucle.errors import BoucleError
from boucle.plugins.protocols import CheckContext

if TYPE_CHECKING:
    import pandas as pd

    from boucle.config.checks import CustomCheckConfig, TaskName

__all__ = ["normalise_results", "run_custom_checks"]


def run_custom_checks(
    frame: pd.DataFrame,
    checks: Sequence[CustomCheckConfig],
    *,
    target: str,
    task: TaskName,
    sensitive: Sequence[str] = (),
) -> tuple[list[CheckResult], list[str]]:
    """Run the plug-in checks of ``data.checks.custom``; return ``(results, skipped)``.

    A plug-in that cannot be loaded raises :class:`~boucle.plugins.PluginError` (the
    configuration names something unusable); one that breaks while checking fails closed.
    """
    from boucle.plugins import load_plugin

    results: list[CheckResult] = []
    skipped: list[str] = []
    for entry in checks:
        if entry.severity == "off":
            skipped.append(f"{entry.name} (severity off)")
            continue
        plugin = load_plugin("data_check", entry.name)
        context = CheckContext(
            target=target,
            task=task,
            sensitive=tuple(sensitive),
            severity=entry.severity,
            options=dict(entry.options),
        )
        name = str(getattr(plugin, "name", entry.name))
        try:
            found: Any = plugin.check(frame, context)
        except BoucleError as exc:
            results.append(_broken(name, context, f"raised {type(exc).__name__}: {exc.message}"))
            continue
        except Exception as exc:  # a broken plug-in must fail closed, not crash the gate
            results.append(_broken(name, context, f"raised {type(exc).__name__}: {exc}"))
            continue
        checked, problem = normalise_results(found)
        results.extend(checked if problem is None else [_broken(name, context, problem)])
    return results, skipped


def normalise_results(found: object) -> tuple[list[CheckResult], str | None]:
    """``(results, None)`` for a CheckResult or a sequence of them, else ``([], problem)``."""
    if isinstance(found, CheckResult):
        return [found], None
    if isinstance(found, Sequence) and not isinstance(found, str | bytes):
        items = list(found)
        wrong = [type(item).__name__ for item in items if not isinstance(item, CheckResult)]
        if wrong:
            return [], f"returned a sequence holding {', '.join(sorted(set(wrong)))}"
        if not items:
            return [], "returned no result (an empty sequence)"
        return items, None
    return [], f"returned {type(found).__name__}, not a CheckResult or a list of them"


def _broken(name: str, context: CheckContext, problem: str) -> CheckResult:
    return CheckResult(
        name,
        None,
        context.severity,
        False,
        f"plug-in check '{name}' {problem}; it is counted as failed",
        {"plugin_error": problem},
    )
