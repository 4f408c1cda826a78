"""boucle's last-known registry state: the facts of a model's aliased versions, as JSON.

A server needs a handful of facts from the registry (which version each alias names, its
tags), but MLflow costs seconds of import and ~150 MiB of memory. So whenever boucle moves an
alias or tags a version (register, export, promote, rollback) it also writes, next to the
SQLite tracking database, ``registry/<model>.json`` (by default
``<stores.root>/registry/<model>.json``): every aliased version of the model with its number,
aliases, tags and MLflow run. ``boucle serve`` starts from that file and checks it against
the registry in the background (:mod:`boucle.serving`).

Each write re-reads the registry's current state and replaces the whole file atomically
(temporary file, fsync, rename): a reader sees one complete state. Writers take turns (an
``flock`` on a lock file beside it) to read and write, so the last one to write has read the
registry after every change made before it: the file ends on the registry's state, never on
an older one. The file records the
tracking URI it was read from; a file from another tracking store, of another format or not
readable is ignored with a warning. Only SQLite tracking stores (the default) get a cache: a
database or HTTP registry has no folder under ``stores.root`` to name, and is always asked.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from boucle.registry.versions import ModelVersionInfo, split_ref

__all__ = [
    "CACHE_FORMAT",
    "RegistrySnapshot",
    "alias_cache_path",
    "read_alias_cache",
    "snapshot_registry",
    "write_alias_cache",
]

_log = logging.getLogger("boucle.registry")
#: Version of the file's layout; a file of another format is ignored.
CACHE_FORMAT = 1


@dataclass(frozen=True)
class RegistrySnapshot:
    """The aliased versions of one registered model, as read from ``tracking`` at one time."""

    tracking: str
    model_name: str
    aliases: dict[str, str]
    versions: dict[str, ModelVersionInfo]

    def lookup(self, ref: str) -> ModelVersionInfo | None:
        """The version ``ref`` (alias or number) names, ``None`` when this snapshot lacks it."""
        name, tail = split_ref(self.model_name, ref)
        if name != self.model_name:
            return None
        return self.versions.get(tail if tail.isdigit() else self.aliases.get(tail, ""))

    def to_json(self) -> bytes:
        """The cache file's bytes (sorted keys: the same state gives the same bytes)."""
        document = {
            "format": CACHE_FORMAT,
            "tracking": self.tracking,
            "model": self.model_name,
            "aliases": self.aliases,
            "versions": {number: asdict(info) for number, info in self.versions.items()},
            "written_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        return json.dumps(document, sort_keys=True, indent=1).encode("utf-8")


def alias_cache_path(tracking_uri: str, model_name: str) -> Path | None:
    """Where the cache of ``model_name`` lives: ``registry/`` beside the SQLite tracking file.

    ``None`` for a tracking store that is not a SQLite file (no cache is kept for it).
    """
    from boucle.config.paths import sqlite_path

    database = sqlite_path(tracking_uri)
    if database is None or database == ":memory:":
        return None
    return Path(database).parent / "registry" / f"{quote(model_name, safe='')}.json"


def snapshot_registry(client: Any, tracking_uri: str, model_name: str) -> RegistrySnapshot:
    """Read the current aliases of ``model_name`` and the facts of the versions they name."""
    if not client.search_registered_models(filter_string=f"name = '{model_name}'"):
        return RegistrySnapshot(tracking_uri, model_name, {}, {})
    aliases = {
        alias: str(number)
        for alias, number in dict(client.get_registered_model(model_name).aliases).items()
    }
    versions = {}
    for number in sorted(set(aliases.values()), key=int):
        found = client.get_model_version(model_name, number)
        versions[number] = ModelVersionInfo(
            model_name=model_name,
            version=str(found.version),
            aliases=tuple(sorted(found.aliases or ())),
            tags=dict(found.tags or {}),
            mlflow_run_id=str(found.run_id),
        )
    return RegistrySnapshot(tracking_uri, model_name, aliases, versions)


def write_alias_cache(client: Any, tracking_uri: str, model_name: str) -> Path | None:
    """Re-read the registry's state of ``model_name`` and replace its cache file atomically.

    Called by boucle's own writes to the registry, inside their MLflow session (``client``
    is an ``MlflowClient``). A failure never fails the caller: it is logged and the file is
    removed, so that a server asks the registry rather than trust a state it knows is old.
    Returns the path written (``None``: no cache for this tracking store, or it failed).
    """
    from boucle.store._local import write_atomic

    path = alias_cache_path(tracking_uri, model_name)
    if path is None:
        return None
    try:
        with _writers_lock(path):
            snapshot = snapshot_registry(client, tracking_uri, model_name)
            write_atomic(os.fspath(path), [snapshot.to_json()])
    except Exception as exc:  # the registry write itself succeeded: never undo it for this
        _log.warning(
            "could not update boucle's registry cache %s (%s: %s); it is removed and "
            "`boucle serve` will ask the registry",
            path,
            type(exc).__name__,
            exc,
        )
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
        return None
    return path


@contextmanager
def _writers_lock(path: Path) -> Iterator[None]:
    """One writer at a time reads the registry and writes ``path`` (POSIX ``flock``)."""
    try:
        import fcntl
    except ImportError:  # Windows: the atomic rename alone (last writer wins)
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(f".{path.name}.lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file is closed
        yield


def read_alias_cache(tracking_uri: str, model_name: str) -> RegistrySnapshot | None:
    """The cached state of ``model_name``, or ``None`` (with a warning when a file was unusable).

    No file (never written, or not a SQLite tracking store) is silent; a file that is not
    valid JSON of this format, or was read from another tracking store or model, is ignored
    with a warning naming it.
    """
    path = alias_cache_path(tracking_uri, model_name)
    if path is None:
        return None
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        _log.warning("ignoring boucle's registry cache %s: %s", path, exc)
        return None
    try:
        document = json.loads(raw)
        snapshot = _parse(document)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        _log.warning("ignoring boucle's registry cache %s: not a readable cache (%s)", path, exc)
        return None
    if (snapshot.tracking, snapshot.model_name) != (tracking_uri, model_name):
        _log.warning(
            "ignoring boucle's registry cache %s: it was written for model %r of the tracking "
            "store %s, not %r of %s",
            path,
            snapshot.model_name,
            snapshot.tracking,
            model_name,
            tracking_uri,
        )
        return None
    return snapshot


def _parse(document: Any) -> RegistrySnapshot:
    if document.get("format") != CACHE_FORMAT:
        raise ValueError(f"format {document.get('format')!r}, expected {CACHE_FORMAT}")
    versions = {
        str(number): ModelVersionInfo(
            model_name=str(fields["model_name"]),
            version=str(fields["version"]),
            aliases=tuple(str(alias) for alias in fields["aliases"]),
            tags={str(k): str(v) for k, v in dict(fields["tags"]).items()},
            mlflow_run_id=str(fields["mlflow_run_id"]),
        )
        for number, fields in dict(document["versions"]).items()
    }
    aliases = {str(alias): str(number) for alias, number in dict(document["aliases"]).items()}
    missing = sorted(set(aliases.values()) - set(versions))
    if missing:
        raise ValueError(f"aliases name versions {missing} the file does not describe")
    return RegistrySnapshot(str(document["tracking"]), str(document["model"]), aliases, versions)
