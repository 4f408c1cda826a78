"""Plug-ins: models, data checks, drift tests, gates and alert sinks from other packages.

A plug-in is found through an entry point of its kind's group (``boucle.models``,
``boucle.checks``, ``boucle.drift``, ``boucle.gates``, ``boucle.alerts``) declared by an
installed distribution, or named in boucle.yaml by its ``module:attr`` path::

    # pyproject.toml of the plug-in's distribution
    [project.entry-points."boucle.models"]
    ridge_ordinal = "mypkg.models:RidgeOrdinal"

    # boucle.yaml
    train: {model: ridge_ordinal}          # or: model: mypkg.models:RidgeOrdinal

Discovery reads metadata only and is cached; a plug-in is imported when it is used, and
its shape is checked then (:func:`load_plugin`); :mod:`boucle.testing` checks behaviour.
This module imports only the standard library: validating boucle.yaml stays cheap.
"""

from __future__ import annotations

from boucle.plugins.discovery import (
    BUILTIN_NAMES,
    ENTRY_POINT_GROUPS,
    PLUGIN_KINDS,
    PluginEntry,
    PluginError,
    PluginKind,
    available_plugins,
    clear_plugin_cache,
    discover_plugins,
    is_dotted_path,
    plugin_fingerprint,
    reserved_names,
    resolve_plugin,
    unknown_plugin_error,
)
from boucle.plugins.loading import import_plugin, load_plugin, make_alert_sink

__all__ = [
    "BUILTIN_NAMES",
    "ENTRY_POINT_GROUPS",
    "PLUGIN_KINDS",
    "PluginEntry",
    "PluginError",
    "PluginKind",
    "available_plugins",
    "check_config_name",
    "check_model_name",
    "clear_plugin_cache",
    "discover_plugins",
    "import_plugin",
    "is_dotted_path",
    "load_plugin",
    "make_alert_sink",
    "plugin_fingerprint",
    "reserved_names",
    "resolve_plugin",
]


def check_config_name(kind: PluginKind, value: str) -> str:
    """Return ``value`` if it names a built-in or a plug-in of ``kind``; else ValueError.

    For pydantic validators of boucle.yaml: a built-in name, an installed entry point's
    name, or a ``module:attr`` path passes (nothing is imported: a path is imported, and
    checked, when it is used). The error lists what is available.
    """
    if value in BUILTIN_NAMES[kind] or is_dotted_path(value):
        return value
    if any(entry.name == value for entry in discover_plugins(kind)):
        return value
    error = unknown_plugin_error(kind, value)
    raise ValueError(f"{error.message} {error.hint}".rstrip("."))  # the loader adds the stop


def check_model_name(value: str) -> str:
    """``train.model`` validator: a built-in model, a ``boucle.models`` plug-in or module:attr."""
    return check_config_name("model", value)
