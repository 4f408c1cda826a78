"""``boucle plugins list``: every installed plug-in, where it comes from, does it conform.

Each plug-in is loaded and run through its conformance check (:mod:`boucle.testing`) on
sample data. Alert sinks are created with no options and checked without sending
anything: a listing must not page anyone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from boucle.errors import BoucleError
from boucle.plugins.discovery import (
    BUILTIN_NAMES,
    PLUGIN_KINDS,
    PluginKind,
    discover_plugins,
    reserved_names,
)

__all__ = ["PluginStatus", "list_plugins"]

Status = Literal["ok", "failed", "load error", "not checked", "built-in"]


@dataclass(frozen=True)
class PluginStatus:
    """One row of ``boucle plugins list``."""

    kind: PluginKind
    name: str
    target: str
    distribution: str | None
    status: Status
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict of this row."""
        return asdict(self)


def list_plugins(
    kinds: Sequence[PluginKind] = PLUGIN_KINDS, *, check: bool = True, builtins: bool = False
) -> list[PluginStatus]:
    """The installed plug-ins of ``kinds`` (entry points), each loaded and, with ``check``,
    run through its conformance check; with ``builtins``, boucle's own names too.

    Never raises for a broken plug-in: its row says what is wrong.
    """
    rows: list[PluginStatus] = []
    for kind in kinds:
        if builtins:
            rows += [
                PluginStatus(
                    kind, name, "boucle", "boucle", "built-in", "checked by boucle's tests"
                )
                for name in BUILTIN_NAMES[kind]
            ]
        for entry in discover_plugins(kind):
            status, detail = _status(kind, entry.name, entry.target, check)
            rows.append(PluginStatus(kind, entry.name, entry.target, entry.distribution,
                                     status, detail))  # fmt: skip
    return rows


def _status(kind: PluginKind, name: str, target: str, check: bool) -> tuple[Status, str]:
    from boucle.plugins.loading import load_plugin

    if name in reserved_names(kind):
        return "load error", f"'{name}' is a built-in name: use it by its path {target}"
    try:
        plugin = load_plugin(kind, name)
    except BoucleError as exc:
        return "load error", exc.message
    if not check:
        return "not checked", "loaded; conformance not run (--no-check)"
    try:
        detail = _conform(kind, name, plugin)
    except BoucleError as exc:  # ConformanceError, and errors of our own the check hit
        return "failed", exc.message
    except Exception as exc:  # a plug-in may raise anything where the check cannot catch it
        return "failed", f"{type(exc).__name__}: {exc}"
    return ("not checked", detail) if detail else ("ok", "")


def _conform(kind: PluginKind, name: str, plugin: Any) -> str:
    """Run the conformance check; return why it was not run, or '' when it passed."""
    from boucle import testing

    if kind == "model":
        testing.check_model(plugin, name=name)
    elif kind == "data_check":
        testing.check_data_check(plugin)
    elif kind == "drift_test":
        testing.check_drift_test(plugin)
    elif kind == "gate":
        testing.check_gate(plugin)
    else:
        try:
            sink = plugin("conformance")
        except TypeError as exc:
            return f"needs options to be created ({exc}); shape not checked"
        testing.check_alert_sink(sink, send=False)
        return ""
    return ""
