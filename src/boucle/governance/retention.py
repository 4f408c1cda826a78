"""Retention and ``boucle gc``: delete what is past the retention period, and nothing else.

The period (:func:`retention_period`) is ``governance.retention_days`` when boucle.yaml sets
it, else the ``retention_days`` of the risk class's policy (183 days for high-risk, 90 for
limited and minimal), and never less than the policy's ``min_retention_days`` (183 for
high-risk: "at least six months", Art. 19(1) and 26(6)).

:func:`run_gc` deletes

* prediction-log day partitions (``serve.log_dir/date=YYYY-MM-DD``) whose whole UTC day lies
  before ``now - retention``: a partition is first renamed to a hidden name, which readers
  (pyarrow, Dask) skip, then removed;
* staging files left in the artifact store's ``tmp/`` folder by an interrupted write, once
  older than ``temp_age`` (24 hours: an upload in progress is never touched).

It never deletes the ledger, a day inside the period, the store's ``objects/`` (so no object
a run manifest references) or ``runs/``; a partition that would contain one of them is
skipped and reported. Every gc appends ``gc_done`` listing what it deleted; a dry run lists
the same and writes nothing.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from boucle.errors import ConfigError, StoreError

if TYPE_CHECKING:
    from boucle.config import BoucleConfig
    from boucle.config.governance import RiskClass

__all__ = ["DEFAULT_TEMP_AGE", "GcItem", "GcReport", "Retention", "retention_period", "run_gc"]

DEFAULT_TEMP_AGE = timedelta(hours=24)
_PARTITION = re.compile(r"^(?:\.gc-[0-9a-f]{32}-)?date=(\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True)
class Retention:
    """How long prediction logs (and the ledger) are kept, and why."""

    days: int
    source: str
    risk_class: RiskClass
    minimum: int

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return dict(self.__dict__)


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


@dataclass(frozen=True)
class GcReport:
    """What one gc deleted (or, in a dry run, would delete)."""

    retention: Retention
    cutoff: str
    """The oldest UTC day kept; every partition before it is past the retention period."""
    log_dir: str | None
    store_tmp: str
    items: tuple[GcItem, ...]
    kept_days: int
    dry_run: bool
    skipped: tuple[str, ...] = ()
    failed: tuple[dict[str, str], ...] = ()
    event_index: int | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def bytes(self) -> int:
        """Bytes deleted (or to delete)."""
        return sum(item.bytes for item in self.items)

    def payload(self) -> dict[str, Any]:
        """The ``gc_done`` ledger payload."""
        return {
            "retention_days": self.retention.days,
            "retention_source": self.retention.source,
            "risk_class": self.retention.risk_class,
            "cutoff": self.cutoff,
            "log_dir": self.log_dir,
            "store_tmp": self.store_tmp,
            "deleted": [item.to_dict() for item in self.items],
            "files": sum(item.files for item in self.items),
            "bytes": self.bytes,
            "kept_days": self.kept_days,
            "skipped": list(self.skipped),
            "failed": list(self.failed),
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON form (``boucle gc --json``)."""
        return {
            **self.payload(),
            "dry_run": self.dry_run,
            "event_index": self.event_index,
            "notes": list(self.notes),
        }


def retention_period(config: BoucleConfig) -> Retention:
    """The retention period of the project (see the module docstring)."""
    from boucle.governance.classify import classify_use_case
    from boucle.governance.policies import effective_policy, load_policies, retention_setting

    classification = classify_use_case(config.use_case) if config.use_case else None
    risk_class: RiskClass = classification.risk_class if classification else "high"
    policy = effective_policy(config, load_policies(config), risk_class)
    days, source = retention_setting(config, policy)
    if days < policy.min_retention_days:
        days, source = policy.min_retention_days, f"{risk_class} policy min_retention_days"
    return Retention(days, source, risk_class, policy.min_retention_days)


def run_gc(
    config: BoucleConfig,
    *,
    dry_run: bool = False,
    now: datetime | None = None,
    temp_age: timedelta = DEFAULT_TEMP_AGE,
) -> GcReport:
    """Delete what is past retention (see the module docstring); append ``gc_done``.

    ``now`` (UTC) defaults to the current time. Raises :class:`StoreError` after recording
    ``gc_done`` when some deletions failed (they are listed in its ``failed``).
    """
    from boucle.ledger import Ledger
    from boucle.runner.context import new_run_id

    moment = (now or datetime.now(UTC)).astimezone(UTC)
    retention = retention_period(config)
    cutoff = (moment - timedelta(days=retention.days)).date()
    protected = _protected(config)
    log_dir, notes = _log_dir(config)
    days, kept, skipped = _old_partitions(log_dir, cutoff, protected)
    temps = _stale_temp_files(config, moment - temp_age, protected)
    report = GcReport(
        retention=retention,
        cutoff=cutoff.isoformat(),
        log_dir=None if log_dir is None else str(log_dir),
        store_tmp=_store_tmp(config),
        items=tuple(days + temps),
        kept_days=kept,
        dry_run=dry_run,
        skipped=tuple(skipped),
        notes=tuple(notes),
    )
    if dry_run:
        return report
    deleted, failed = _delete(config, log_dir, report.items)
    report = replace(report, items=tuple(deleted), failed=tuple(failed))
    with Ledger(config.stores.ledger or "") as ledger:
        event = ledger.append("gc_done", report.payload(), run_id=new_run_id())
    report = replace(report, event_index=event.index)
    if failed:
        first = failed[0]
        raise StoreError(
            f"gc could not delete {len(failed)} item(s), first {first['path']}: "
            f"{first['error']} (recorded in gc_done, ledger event #{event.index}).",
            hint="Check the permissions of the prediction log and store folders, then run "
            "`boucle gc` again.",
        )
    return report


def _log_dir(config: BoucleConfig) -> tuple[Path | None, list[str]]:
    from boucle.monitoring import log_dir

    try:
        return log_dir(config), []
    except ConfigError as exc:
        return None, [f"prediction log not cleaned: {exc.message}"]


def _store_tmp(config: BoucleConfig) -> str:
    return f"{config.stores.root.rstrip('/')}/tmp"


def _protected(config: BoucleConfig) -> list[str]:
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


def _old_partitions(
    log_dir: Path | None, cutoff: date, protected: list[str]
) -> tuple[list[GcItem], int, list[str]]:
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


def _stale_temp_files(config: BoucleConfig, older: datetime, protected: list[str]) -> list[GcItem]:
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


def _delete(
    config: BoucleConfig, log_dir: Path | None, items: tuple[GcItem, ...]
) -> tuple[list[GcItem], list[dict[str, str]]]:
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
