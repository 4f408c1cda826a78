"""The files ``boucle gc`` finds past retention, and how it deletes them.

:func:`old_partitions` lists the prediction-log day partitions (``date=YYYY-MM-DD``) whose
whole UTC day lies before the cutoff; :func:`stale_temp_files` the staging files of the
artifact store's ``tmp/`` folder older than a moment (local or fsspec store). Neither lists a
path that holds one of :func:`protected_paths` (ledger and tracking databases, promotion lock,
the store's ``objects/`` and ``runs/``). :func:`delete_items` deletes what they listed: a
partition is first renamed to a hidden name, which readers (pyarrow, Dask) skip, then removed.
:func:`boucle.governance.retention.run_gc` ties them together and records ``gc_done``.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from boucle.errors import ConfigError, StoreError

if TYPE_CHECKING:
    from boucle.config import BoucleConfig

__all__ = [
    "GcItem",
    "delete_items",
    "old_partitions",
    "prediction_log_dir",
    "protected_paths",
    "stale_temp_files",
    "store_tmp",
]

_PARTITION = re.compile(r"^(?:\.gc-[0-9a-f]{32}-)?date=(\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True)
class GcItem:
    """One thing gc deletes: a day partition of the prediction log or a stale temp file."""

    kind: Literal["prediction_log_day", "temp_file"]
    path: str
    files: int
    bytes: int
    day: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON form, as listed in ``gc_done``."""
        return dict(self.__dict__)


def prediction_log_dir(config: BoucleConfig) -> tuple[Path | None, list[str]]:
    """The prediction log folder, or None and a note when ``serve.log_dir`` cannot be used."""
    from boucle.monitoring import log_dir

    try:
        return log_dir(config), []
    except ConfigError as exc:
        return None, [f"prediction log not cleaned: {exc.message}"]


def store_tmp(config: BoucleConfig) -> str:
    """The URL of the artifact store's staging folder (``<stores.root>/tmp``)."""
    return f"{config.stores.root.rstrip('/')}/tmp"


def protected_paths(config: BoucleConfig) -> list[str]:
    """Real paths gc must never delete nor delete a folder around."""
    from boucle.governance.promotion_lock import sqlite_lock_path
    from boucle.ledger.urls import native_sqlite_path
    from boucle.store.paths import is_local_url, strip_file_scheme

    paths: list[str] = []
    for url in (config.stores.ledger or "", config.stores.tracking or ""):
        database = native_sqlite_path(url)
        if database is not None:
            paths += [database, database + "-wal", database + "-shm"]
    lock = sqlite_lock_path(config.stores.ledger or "")
    if lock is not None:
        paths.append(str(lock))
    root = config.stores.root
    if is_local_url(root):
        local = strip_file_scheme(root)
        paths += [os.path.join(local, "objects"), os.path.join(local, "runs")]
    return [os.path.realpath(path) for path in paths]


def _holds_protected(path: Path, protected: list[str]) -> str | None:
    real = os.path.realpath(path)
    for keep in protected:
        try:
            if os.path.commonpath([real, keep]) in (real, keep):
                return keep
        except ValueError:  # different drives (Windows): unrelated paths
            continue
    return None


def _size(path: Path) -> tuple[int, int]:
    files = size = 0
    for folder, _, names in os.walk(path):
        for name in names:
            files += 1
            size += os.path.getsize(os.path.join(folder, name))
    return files, size


def old_partitions(
    log_dir: Path | None, cutoff: date, protected: list[str]
) -> tuple[list[GcItem], int, list[str]]:
    """Day partitions of ``log_dir`` before ``cutoff``: the items, days kept, skipped notes.

    A partition holding a ``protected`` path is skipped (and named in the notes), never listed.
    """
    if log_dir is None or not log_dir.is_dir():
        return [], 0, []
    items, kept, skipped = [], 0, []
    for entry in sorted(log_dir.iterdir()):
        match = _PARTITION.match(entry.name)
        if match is None or not entry.is_dir() or entry.is_symlink():
            continue
        try:
            day = date.fromisoformat(match.group(1))
        except ValueError:
            continue
        if day >= cutoff:
            kept += 1
            continue
        inside = _holds_protected(entry, protected)
        if inside is not None:
            skipped.append(f"{entry}: holds {inside}, which gc never deletes")
            continue
        files, size = _size(entry)
        items.append(GcItem("prediction_log_day", entry.name, files, size, day.isoformat()))
    return items, kept, skipped


def stale_temp_files(config: BoucleConfig, older: datetime, protected: list[str]) -> list[GcItem]:
    """Files of the store's ``tmp/`` last modified before ``older`` (local or fsspec store)."""
    from boucle.store.paths import is_local_url, strip_file_scheme

    root = config.stores.root
    if not is_local_url(root):
        return _remote_temp_files(config, older)
    tmp = Path(strip_file_scheme(root)) / "tmp"
    items = []
    for folder, _, names in os.walk(tmp):
        for name in sorted(names):
            path = Path(folder) / name
            try:
                stat = path.lstat()
            except FileNotFoundError:
                continue  # committed (renamed away) while we looked
            if path.is_symlink() or datetime.fromtimestamp(stat.st_mtime, UTC) >= older:
                continue
            if _holds_protected(path, protected) is None:
                relative = path.relative_to(tmp.parent).as_posix()
                items.append(GcItem("temp_file", relative, 1, stat.st_size))
    return items


def _remote_fs(config: BoucleConfig) -> tuple[Any, str]:
    from fsspec.core import url_to_fs

    root = config.stores.root.rstrip("/")
    try:
        fs, base = url_to_fs(root, **config.stores.storage_options)
    except (ImportError, ValueError, TypeError) as exc:
        raise StoreError(
            f"cannot open store root '{root}': {exc}.",
            hint="Check stores.root and stores.storage_options.",
        ) from exc
    return fs, str(base).rstrip("/")


def _remote_temp_files(config: BoucleConfig, older: datetime) -> list[GcItem]:
    fs, base = _remote_fs(config)
    tmp = f"{base}/tmp"
    try:
        found = fs.find(tmp, detail=True)
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise StoreError(
            f"cannot list the store's tmp folder '{config.stores.root}/tmp': {exc}.",
            hint="Check that the store is reachable and the credentials may list it.",
        ) from exc
    items = []
    for path, info in sorted(found.items()):
        modified = _modified(info)
        if modified is not None and modified < older:
            relative = path[len(base) + 1 :]
            items.append(GcItem("temp_file", relative, 1, int(info.get("size") or 0)))
    return items


def _modified(info: dict[str, Any]) -> datetime | None:
    """The modification time in an fsspec listing (None when the backend gives none)."""
    for key in ("LastModified", "last_modified", "mtime", "modified", "created"):
        value = info.get(key)
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=UTC)
        if isinstance(value, int | float):
            return datetime.fromtimestamp(value, UTC)
    return None


def delete_items(
    config: BoucleConfig, log_dir: Path | None, items: tuple[GcItem, ...]
) -> tuple[list[GcItem], list[dict[str, str]]]:
    """Delete ``items``: those deleted (not those already gone) and ``{path, error}`` failures."""
    deleted, failed = [], []
    for item in items:
        try:
            if item.kind == "prediction_log_day" and log_dir is not None:
                gone = _delete_partition(log_dir / item.path)
            else:
                gone = _delete_temp(config, item.path)
        except OSError as exc:
            failed.append({"path": item.path, "error": f"{type(exc).__name__}: {exc}"})
            continue
        if gone:
            deleted.append(item)
    return deleted, failed


def _delete_partition(path: Path) -> bool:
    """Hide the partition from readers with one rename, then remove it; False if gone."""
    hidden = path
    if not path.name.startswith(".gc-"):
        hidden = path.with_name(f".gc-{uuid.uuid4().hex}-{path.name}")
        try:
            path.rename(hidden)
        except FileNotFoundError:
            return False  # another gc took it
    shutil.rmtree(hidden)
    return True


def _delete_temp(config: BoucleConfig, relative: str) -> bool:
    from boucle.store.paths import is_local_url, safe_join, strip_file_scheme

    root = config.stores.root
    if is_local_url(root):
        try:
            os.unlink(safe_join(strip_file_scheme(root), relative))
        except FileNotFoundError:
            return False
        return True
    fs, base = _remote_fs(config)
    try:
        fs.rm_file(f"{base}/{relative}")
    except FileNotFoundError:
        return False
    return True
