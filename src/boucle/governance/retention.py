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
the same and writes nothing. Finding and deleting the files is
:mod:`boucle.governance.gc_files` (:class:`GcItem` is re-exported here).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from boucle.errors import StoreError
from boucle.governance.gc_files import (
    GcItem,
    delete_items,
    old_partitions,
    prediction_log_dir,
    protected_paths,
    stale_temp_files,
    store_tmp,
)

if TYPE_CHECKING:
    from boucle.config import BoucleConfig
    from boucle.config.governance import RiskClass

__all__ = ["DEFAULT_TEMP_AGE", "GcItem", "GcReport", "Retention", "retention_period", "run_gc"]

DEFAULT_TEMP_AGE = timedelta(hours=24)


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
    protected = protected_paths(config)
    log_dir, notes = prediction_log_dir(config)
    days, kept, skipped = old_partitions(log_dir, cutoff, protected)
    temps = stale_temp_files(config, moment - temp_age, protected)
    report = GcReport(
        retention=retention,
        cutoff=cutoff.isoformat(),
        log_dir=None if log_dir is None else str(log_dir),
        store_tmp=store_tmp(config),
        items=tuple(days + temps),
        kept_days=kept,
        dry_run=dry_run,
        skipped=tuple(skipped),
        notes=tuple(notes),
    )
    if dry_run:
        return report
    deleted, failed = delete_items(config, log_dir, report.items)
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
