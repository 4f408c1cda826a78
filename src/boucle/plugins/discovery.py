"""Where plug-ins come from: entry points of installed distributions, or ``module:attr`` paths.

Five entry-point groups, one per kind of plug-in. Discovery reads the installed
distributions' metadata (``importlib.metadata``) and imports nothing; the listing of each
group is cached for the life of the process (:func:`clear_plugin_cache` forgets it, e.g.
after installing a distribution in a running interpreter).
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass
from typing import Literal, get_args

from boucle.errors import ConfigError

__all__ = [
    "BUILTIN_NAMES",
    "ENTRY_POINT_GROUPS",
    "PLUGIN_KINDS",
    "PluginEntry",
    "PluginError",
    "PluginKind",
    "available_plugins",
    "clear_plugin_cache",
    "discover_plugins",
    "is_dotted_path",
    "plugin_fingerprint",
    "reserved_names",
    "resolve_plugin",
]

PluginKind = Literal["model", "data_check", "drift_test", "gate", "alert_sink"]
PLUGIN_KINDS: tuple[PluginKind, ...] = get_args(PluginKind)

#: The entry-point group of each kind of plug-in.
ENTRY_POINT_GROUPS: dict[PluginKind, str] = {
    "model": "boucle.models",
    "data_check": "boucle.checks",
    "drift_test": "boucle.drift",
    "gate": "boucle.gates",
    "alert_sink": "boucle.alerts",
}

#: Where boucle.yaml names a plug-in of each kind (for messages).
CONFIG_KEYS: dict[PluginKind, str] = {
    "model": "train.model",
    "data_check": "data.checks.custom",
    "drift_test": "compute_drift(tests=...)",
    "gate": "gates.custom",
    "alert_sink": "alerts.sinks.<name>.type",
}

#: Names boucle itself implements; a plug-in cannot take them. Kept here, not imported from
#: the modules that implement them, so that validating boucle.yaml imports no pandas.
BUILTIN_NAMES: dict[PluginKind, tuple[str, ...]] = {
    "model": ("lightgbm", "logistic_regression", "random_forest", "xgboost"),
    "data_check": (
        "constant", "duplicates", "high_cardinality", "label_balance", "leakage", "missing",
        "pii", "representation", "schema", "sources",
    ),
    "drift_test": ("chi2", "js", "ks", "missing", "psi", "unseen", "wasserstein"),
    "gate": ("beats_champion", "data_checks", "parity", "slices"),
    "alert_sink": ("log", "smtp", "webhook"),
}  # fmt: skip

# Also taken: the descriptive statistics of a drift report row share the drift tests' names.
_ALSO_RESERVED: dict[PluginKind, tuple[str, ...]] = {
    "drift_test": ("missing_rate_change", "smd", "std_ratio", "unseen_share"),
}


def reserved_names(kind: PluginKind) -> frozenset[str]:
    """Names a plug-in of ``kind`` may not take: the built-ins' and what reports use."""
    return frozenset((*BUILTIN_NAMES[kind], *_ALSO_RESERVED.get(kind, ())))


_DOTTED = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


class PluginError(ConfigError):
    """A plug-in named in boucle.yaml is unknown, cannot be imported or breaks its protocol."""


@dataclass(frozen=True)
class PluginEntry:
    """One plug-in as discovered: its kind, the name it is used by, where its code is.

    ``target`` is ``module:attr``; ``distribution`` is ``"name version"`` of the installed
    distribution that declares the entry point, ``None`` for a ``module:attr`` path written
    in boucle.yaml.
    """

    kind: PluginKind
    name: str
    target: str
    distribution: str | None = None

    @property
    def group(self) -> str:
        """The entry-point group of this kind."""
        return ENTRY_POINT_GROUPS[self.kind]

    @property
    def source(self) -> str:
        """Where it comes from, for messages: the distribution or ``module:attr path``."""
        return self.distribution or "module:attr path"

    @property
    def label(self) -> str:
        """``kind plug-in 'name' (distribution)``: how messages name it."""
        kind = self.kind.replace("_", " ")
        return f"{kind} plug-in '{self.name}' ({self.source})"


def is_dotted_path(ref: str) -> bool:
    """Whether ``ref`` is a ``package.module:attr`` path rather than a name."""
    return bool(_DOTTED.match(ref))


@functools.cache
def _group_entries(group: str) -> tuple[tuple[str, str, str | None], ...]:
    from importlib.metadata import entry_points

    found = []
    for point in entry_points(group=group):
        dist = getattr(point, "dist", None)
        label = None if dist is None else f"{dist.name} {dist.version}"
        found.append((point.name, point.value, label))
    # Several copies of one distribution on sys.path list the same entry point twice.
    return tuple(sorted(set(found), key=lambda item: (item[0], item[2] or "", item[1])))


def clear_plugin_cache() -> None:
    """Forget the discovered entry points and imported plug-ins (re-read on next use)."""
    _group_entries.cache_clear()
    from boucle.plugins.loading import clear_loaded

    clear_loaded()


def discover_plugins(kind: PluginKind) -> list[PluginEntry]:
    """Every entry point of ``kind``'s group, sorted by name (nothing is imported).

    A name may appear twice when two distributions declare it; :func:`resolve_plugin`
    refuses such a name.
    """
    _check_kind(kind)
    return [
        PluginEntry(kind, name, target, dist)
        for name, target, dist in _group_entries(ENTRY_POINT_GROUPS[kind])
    ]


def available_plugins(kind: PluginKind) -> list[str]:
    """The built-in names of ``kind``, then the installed plug-ins' names, each sorted."""
    plugins = sorted({entry.name for entry in discover_plugins(kind)} - reserved_names(kind))
    return [*sorted(BUILTIN_NAMES[kind]), *plugins]


def resolve_plugin(kind: PluginKind, ref: str) -> PluginEntry:
    """The plug-in ``ref`` names: an entry-point name of ``kind`` or a ``module:attr`` path.

    Raises :class:`PluginError` for a built-in name, an unknown name (listing the available
    ones) or a name two distributions declare.
    """
    _check_kind(kind)
    if not isinstance(ref, str) or not ref:
        raise PluginError(
            f"a {kind.replace('_', ' ')} plug-in is named by a non-empty string, got {ref!r}.",
            hint="Write an entry-point name or a module:attr path.",
        )
    if is_dotted_path(ref):
        return PluginEntry(kind, ref, ref)
    if ref in reserved_names(kind):
        raise PluginError(
            f"'{ref}' is a built-in {kind.replace('_', ' ')} of boucle, not a plug-in.",
            hint=f"Name a plug-in in {CONFIG_KEYS[kind]}; built-ins are configured by their own "
            "keys. A plug-in declaring this name must be used by its module:attr path.",
        )
    matches = [entry for entry in discover_plugins(kind) if entry.name == ref]
    if not matches:
        raise unknown_plugin_error(kind, ref)
    if len({(entry.target, entry.distribution) for entry in matches}) > 1:
        sources = "; ".join(f"{entry.target} from {entry.source}" for entry in matches)
        raise PluginError(
            f"{kind.replace('_', ' ')} plug-in '{ref}' is declared by more than one "
            f"distribution: {sources}.",
            hint="Uninstall one of them, or name the plug-in by its module:attr path.",
        )
    return matches[0]


def unknown_plugin_error(kind: PluginKind, ref: str) -> PluginError:
    """The error for a name that is neither built in nor an installed plug-in of ``kind``."""
    available = available_plugins(kind)
    close = difflib.get_close_matches(ref, available, n=1)
    guess = f"Did you mean '{close[0]}'? " if close else ""
    group = ENTRY_POINT_GROUPS[kind]
    return PluginError(
        f"unknown {kind.replace('_', ' ')} '{ref}' in {CONFIG_KEYS[kind]}. "
        f"Available: {', '.join(available) or '(none)'}.",
        hint=f"{guess}Install the distribution that declares it in the entry-point group "
        f"'{group}', or write its module:attr path (e.g. mypkg.plugins:MyClass).",
    )


def _check_kind(kind: str) -> None:
    if kind not in ENTRY_POINT_GROUPS:
        raise PluginError(
            f"unknown plug-in kind {kind!r}.", hint=f"Use one of: {', '.join(PLUGIN_KINDS)}."
        )


def plugin_fingerprint(kind: PluginKind, ref: str) -> dict[str, str | None] | None:
    """What identifies the code of plug-in ``ref``, for cache keys; ``None`` for a built-in.

    ``{target, distribution, source_hash}``: the entry point's ``module:attr``, the declaring
    distribution and its version, and the blake3 of the module's source file (located without
    importing the module itself; its parent packages are imported). The source hash catches
    an edit the version does not (an editable install, a module next to boucle.yaml).
    """
    import importlib.util

    from boucle.hashing import blake3_hex

    if ref in reserved_names(kind):
        return None
    entry = resolve_plugin(kind, ref)
    module = entry.target.split(":", 1)[0]
    source_hash: str | None = None
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.origin and spec.has_location:
        try:
            with open(spec.origin, "rb") as handle:
                source_hash = blake3_hex(handle.read())
        except OSError:
            source_hash = None
    return {"target": entry.target, "distribution": entry.distribution, "source_hash": source_hash}
