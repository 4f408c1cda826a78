"""Import a plug-in and check, at load, that it has what its protocol needs.

The import is cached per ``module:attr`` for the life of the process; objects are created
anew at each :func:`load_plugin` call, so no state is shared between two uses. What is
checked here is the shape (the members a caller will use); the behaviour is the business of
the conformance suite, :mod:`boucle.testing`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

from boucle.plugins.discovery import (
    PluginEntry,
    PluginError,
    PluginKind,
    reserved_names,
    resolve_plugin,
)

__all__ = ["clear_loaded", "import_plugin", "load_plugin", "make_alert_sink"]

_IMPORTED: dict[tuple[str, str | None], Any] = {}

# What the caller of each kind uses; ``name`` of an alert sink is given when it is created.
_MEMBERS: dict[PluginKind, tuple[str, ...]] = {
    "model": ("fit", "predict", "get_params", "set_params"),
    "data_check": ("name", "check"),
    "drift_test": ("name", "kinds", "compare"),
    "gate": ("name", "check"),
    "alert_sink": ("name", "send"),
}
_DOCS = "See docs/plugins.md for the protocol; check it with boucle.testing.check_{kind}."


def clear_loaded() -> None:
    """Forget the imported plug-ins (the next load imports again)."""
    _IMPORTED.clear()


def import_plugin(entry: PluginEntry) -> Any:
    """The object ``entry.target`` (``module:attr``) names, imported once per process.

    Raises :class:`PluginError` naming the plug-in, its distribution and the error when the
    module cannot be imported or lacks the attribute.
    """
    key = (entry.target, entry.distribution)
    if key in _IMPORTED:
        return _IMPORTED[key]
    module_name, _, attr = entry.target.split("[", 1)[0].strip().partition(":")
    try:
        found: Any = importlib.import_module(module_name)
    except Exception as exc:  # the plug-in's own import may raise anything
        raise PluginError(
            f"{entry.label} cannot be imported: importing '{module_name}' raised "
            f"{type(exc).__name__}: {exc}.",
            hint=_import_hint(entry),
        ) from exc
    for part in [p for p in attr.split(".") if p]:
        try:
            found = getattr(found, part)
        except AttributeError:
            raise PluginError(
                f"{entry.label}: module '{module_name}' has no attribute '{attr}'.",
                hint=_import_hint(entry),
            ) from None
    _IMPORTED[key] = found
    return found


def _import_hint(entry: PluginEntry) -> str:
    if entry.distribution is None:
        return (
            "Check the module:attr path in boucle.yaml and that the module is importable "
            "(installed, or on PYTHONPATH)."
        )
    return (
        f"Reinstall or fix the distribution {entry.distribution}: its entry point "
        f"'{entry.name} = {entry.target}' in group '{entry.group}' must name an importable "
        "module:attr."
    )


def load_plugin(kind: PluginKind, ref: str) -> Any:
    """The plug-in ``ref`` names, imported and checked against ``kind``'s protocol shape.

    A model plug-in is returned as its estimator class; a data check, drift test or gate as
    an instance (a class is called with no arguments); an alert sink as its factory, called
    by :func:`make_alert_sink`. Raises :class:`PluginError` saying what is missing.
    """
    entry = resolve_plugin(kind, ref)
    target = import_plugin(entry)
    if kind == "model":
        if not isinstance(target, type):
            raise PluginError(
                f"{entry.label} must name an estimator class, not a "
                f"{type(target).__name__} ({entry.target}).",
                hint="Point the entry point (or module:attr) at the class; boucle creates "
                "the estimator with the parameters of train.params and the search.",
            )
        _require(entry, kind, target)
        return target
    if kind == "alert_sink":
        if not callable(target):
            raise PluginError(
                f"{entry.label} must name a sink class or factory, got a {type(target).__name__}.",
                hint="Point it at a callable taking (name, **options) and returning the sink.",
            )
        if isinstance(target, type):
            _require(entry, kind, target, members=("send",))
        return target
    instance = _instantiate(entry, target) if isinstance(target, type) else target
    _require(entry, kind, instance)
    _check_name(entry, kind, instance)
    return instance


def make_alert_sink(ref: str, name: str, options: Mapping[str, Any]) -> Any:
    """Create alert sink ``name`` with plug-in ``ref``'s factory: ``factory(name, **options)``."""
    entry = resolve_plugin("alert_sink", ref)
    factory: Callable[..., Any] = load_plugin("alert_sink", ref)
    try:
        sink = factory(name, **dict(options))
    except Exception as exc:  # the plug-in's constructor may raise anything
        raise PluginError(
            f"{entry.label} could not create sink '{name}' with options "
            f"{sorted(options)}: {type(exc).__name__}: {exc}.",
            hint=f"Fix alerts.sinks.{name}.options in boucle.yaml (they are passed as keyword "
            "arguments).",
        ) from exc
    _require(entry, "alert_sink", sink)
    return sink


def _instantiate(entry: PluginEntry, cls: type) -> Any:
    try:
        return cls()
    except Exception as exc:  # the plug-in's constructor may raise anything
        raise PluginError(
            f"{entry.label}: its class {cls.__name__} cannot be created without arguments: "
            f"{type(exc).__name__}: {exc}.",
            hint="Give every constructor parameter a default, or point the entry point at a "
            "ready-made instance.",
        ) from exc


def _require(
    entry: PluginEntry, kind: PluginKind, obj: Any, members: tuple[str, ...] | None = None
) -> None:
    wanted = _MEMBERS[kind] if members is None else members
    missing = [m for m in wanted if not hasattr(obj, m)]
    not_callable = [
        m
        for m in wanted
        if m not in missing and m not in ("name", "kinds") and not callable(getattr(obj, m))
    ]
    if missing or not_callable:
        problems = []
        if missing:
            problems.append(f"it lacks {', '.join(missing)}")
        if not_callable:
            problems.append(f"{', '.join(not_callable)} is not callable")
        raise PluginError(
            f"{entry.label} does not follow the {kind.replace('_', ' ')} protocol: "
            f"{'; '.join(problems)} (needs {', '.join(wanted)}).",
            hint=_DOCS.format(kind=kind),
        )


def _check_name(entry: PluginEntry, kind: PluginKind, instance: Any) -> None:
    name = getattr(instance, "name", None)
    if not isinstance(name, str) or not name:
        raise PluginError(
            f"{entry.label}: its 'name' must be a non-empty str, got {name!r}.",
            hint=_DOCS.format(kind=kind),
        )
    if name in reserved_names(kind) or (kind == "gate" and name.startswith("metric:")):
        raise PluginError(
            f"{entry.label} calls itself '{name}', the name of a built-in "
            f"{kind.replace('_', ' ')}: reports could not tell them apart.",
            hint="Give the plug-in's 'name' another value.",
        )
