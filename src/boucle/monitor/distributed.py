"""Drift of a partitioned dataset on a local Dask cluster: counters per partition, merged here.

The streaming counters of :mod:`boucle.monitor.accumulate` only add, so each partition (a
Parquet file, or a day file of the serving log) is reduced on a worker to its per-feature
histograms, category counts, moments and missing counts; the client merges them in partition
order and finishes with the same statistics, calibration and FDR control as
:func:`~boucle.monitor.compute_drift` (:func:`~boucle.monitor.drift.drift_from_counters`).
Counts are identical to the one-process path; means and variances equal to float rounding.

The cluster runs *threads* in this process by default (``processes=True``: one
single-threaded worker process per core, listening on 127.0.0.1 only; never a dashboard).
Measured here (2 cores, 8 Parquet partitions of 200,000 rows, 8 features): one process
1.2 s, Dask threads 0.9 s, Dask processes 3.6 s — the scan is numpy and Arrow work that
releases the GIL, so threads overlap it without the processes' start-up and transfer costs.
A worker holds one partition's chunk at a time, whatever the number of partitions.
"""

from __future__ import annotations

import glob
import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from boucle._dask import completed_results
from boucle.errors import BoucleError, DataError
from boucle.monitor.accumulate import (
    CategoryCounter,
    NumericCounter,
    category_counts,
    category_values,
    column_names,
    numeric_values,
    row_count,
)
from boucle.monitor.profile import CategoricalProfile, FeatureProfile

if TYPE_CHECKING:
    from boucle.monitor.profile import ReferenceProfile
    from boucle.monitor.report import DriftReport
    from boucle.plugins.protocols import DriftTest

__all__ = [
    "PartialCounts",
    "PartitionedSource",
    "accumulate_partition",
    "drift_partitioned",
    "iter_chunks",
    "log_source",
    "parquet_source",
]

Counter = NumericCounter | CategoryCounter
_UNSEEN_EXAMPLES = 1_000  # as in accumulate.py: distinct unseen categories kept, at most


@dataclass(frozen=True)
class PartitionedSource:
    """Where the current window lives: Parquet files, one task each.

    ``kind="parquet"``: plain tables holding the feature columns. ``kind="log"``: files of the
    serving log; only the successful predictions of model ``version`` from ``start`` count,
    their request fields being the features (as :func:`boucle.monitoring.monitor_log` reads
    them).
    """

    files: tuple[str, ...]
    kind: Literal["parquet", "log"] = "parquet"
    version: str | None = None
    start: datetime | None = None
    batch_rows: int = 65_536


@dataclass
class PartialCounts:
    """One partition's counters (what a task returns), mergeable in any number."""

    index: int
    counters: dict[str, Counter]
    rows: int
    chunks: int
    kept: dict[str, list[Any]] = field(default_factory=dict)


def parquet_source(location: str) -> PartitionedSource:
    """The Parquet files of a folder (recursively, hive ``key=value`` folders too) or a glob."""
    path = Path(location)
    if path.is_dir():
        found = [p for p in path.rglob("*.parquet") if not _hidden(p.relative_to(path))]
    elif path.is_file():
        found = [path]
    else:
        found = [Path(p) for p in glob.glob(location, recursive=True) if Path(p).is_file()]
    files = sorted(str(p) for p in found if p.suffix == ".parquet")
    if not files:
        raise DataError(
            f"no Parquet file in '{location}'.",
            hint="Give a .parquet file, a folder of them (date=... partitions included) or a "
            "glob such as 'logs/**/*.parquet'.",
        )
    return PartitionedSource(tuple(files))


def _hidden(relative: Path) -> bool:
    return any(part.startswith((".", "_")) for part in relative.parts)


def log_source(folder: Path, version: str, start: datetime | None) -> PartitionedSource:
    """The serving log's day files from ``start``'s day on, for ``version``'s predictions."""
    days = sorted(folder.glob("date=*"))
    if start is not None:
        first = start.date().isoformat()
        days = [day for day in days if day.name.removeprefix("date=") >= first]
    files = tuple(str(p) for day in days for p in sorted(day.glob("*.parquet")))
    if not files:
        raise DataError(
            f"no prediction log file in '{folder}' since {start}.",
            hint="Widen --window / --since, or serve the model and send requests first.",
        )
    return PartitionedSource(files, kind="log", version=version, start=start)


def _counter(feature: FeatureProfile) -> Counter:
    if isinstance(feature, CategoricalProfile):
        seen = None if feature.seen is None else frozenset(feature.seen)
        return CategoryCounter(feature.top, seen)
    return NumericCounter(np.asarray(feature.cuts, dtype=np.float64))


def _parquet_chunks(path: str, features: Sequence[str], batch_rows: int) -> Iterator[Any]:
    import pyarrow.parquet as pq

    from boucle.monitor.drift import column_mismatch

    parquet = pq.ParquetFile(path)
    names = parquet.schema_arrow.names
    if any(name not in names for name in features):
        raise column_mismatch(features, names, where=Path(path).name)
    yield from parquet.iter_batches(batch_size=batch_rows, columns=list(features))


def _log_chunks(source: PartitionedSource, path: str, features: Sequence[str]) -> Iterator[Any]:
    import pandas as pd
    import pyarrow.dataset as ds

    from boucle.monitor.feedback_join import join_feedback

    dataset = ds.dataset(path, format="parquet")
    expression = None if source.start is None else ds.field("timestamp") >= source.start
    log = dataset.to_table(filter=expression).to_pandas()
    rows = join_feedback(log).rows
    mine = rows[rows["model_version"].astype("string") == source.version]
    yield pd.DataFrame(
        {
            name: mine[f"feature:{name}"].to_numpy()
            if f"feature:{name}" in mine.columns
            else np.full(len(mine), np.nan)
            for name in features
        }
    )


def iter_chunks(source: PartitionedSource, features: Sequence[str]) -> Iterator[Any]:
    """Every partition's chunks in order, in this process (the path without Dask)."""
    for path in source.files:
        if source.kind == "log":
            yield from _log_chunks(source, path, features)
        else:
            yield from _parquet_chunks(path, features, source.batch_rows)


def accumulate_partition(
    features: Mapping[str, FeatureProfile],
    source: PartitionedSource,
    index: int,
    keep: Sequence[str] = (),
) -> PartialCounts | dict[str, Any]:
    """Reduce partition ``index`` of ``source`` to counters (runs on a Dask worker).

    Our own errors come back as data (``{"class", "message", "hint"}``) so that the client
    raises them as they are. ``keep`` names the features whose values plug-in tests need.
    """
    counters = {name: _counter(feature) for name, feature in features.items()}
    kept: dict[str, list[Any]] = {name: [] for name in keep}
    path, rows, chunks = source.files[index], 0, 0
    try:
        if source.kind == "log":
            stream = _log_chunks(source, path, list(features))
        else:
            stream = _parquet_chunks(path, list(features), source.batch_rows)
        for chunk in stream:
            absent = [name for name in counters if name not in column_names(chunk)]
            if absent:  # pragma: no cover - both readers select the feature columns
                raise DataError(f"feature(s) {absent} missing from '{path}'.")
            for name, counter in counters.items():
                if isinstance(counter, NumericCounter):
                    counter.update(numeric_values(chunk, name))
                else:
                    counter.update(*category_counts(chunk, name))
            for name, parts in kept.items():
                if isinstance(counters[name], NumericCounter):
                    parts.append(numeric_values(chunk, name))
                else:
                    parts.append(np.asarray(category_values(chunk, name), dtype=object))
            rows += row_count(chunk)
            chunks += 1
    except BoucleError as exc:
        return {"class": type(exc).__name__, "message": exc.message, "hint": exc.hint}
    except (OSError, ValueError) as exc:  # an unreadable or corrupt Parquet file
        return {
            "class": "DataError",
            "message": f"cannot read '{path}': {type(exc).__name__}: {exc}",
            "hint": "Check that the file is a complete Parquet file.",
        }
    return PartialCounts(index, counters, rows, chunks, kept)


def _merge(into: PartialCounts, part: PartialCounts) -> None:
    """Add ``part``'s counters to ``into`` (Chan et al.'s pairwise merge for the moments)."""
    for name, counter in into.counters.items():
        other = part.counters[name]
        counter.counts += other.counts
        counter.total += other.total
        counter.missing += other.missing
        if isinstance(counter, NumericCounter):
            assert isinstance(other, NumericCounter)
            if other.n == 0:
                continue
            total = counter.n + other.n
            delta = other.mean - counter.mean
            counter.mean += delta * other.n / total
            counter.m2 += other.m2 + delta**2 * counter.n * other.n / total
            counter.n = total
            counter.low, counter.high = min(counter.low, other.low), max(counter.high, other.high)
        else:
            assert isinstance(other, CategoryCounter)
            examples = counter.unseen_examples
            for category, count in other.unseen_examples.items():
                if category in examples or len(examples) < _UNSEEN_EXAMPLES:
                    examples[category] = examples.get(category, 0) + count
    for name, parts in part.kept.items():
        into.kept[name].extend(parts)
    into.rows += part.rows
    into.chunks += part.chunks


def _start_cluster(workers: int, processes: bool) -> Any:
    from distributed import LocalCluster

    # TCP on loopback for threads too: with in-process comms the scheduler's HTTP server
    # (health and metrics, started even without dashboard) would bind the machine's address.
    try:
        return LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=workers if processes else 1,
            threads_per_worker=1 if processes else workers,
            processes=processes,
            dashboard_address=None,
            silence_logs=logging.ERROR,
            protocol="tcp://",
            host="127.0.0.1",
            scheduler_port=0,
        )
    except Exception as exc:  # distributed raises OSError, TimeoutError, RuntimeError...
        raise BoucleError(
            f"the Dask LocalCluster ({workers} workers on 127.0.0.1) did not start: "
            f"{type(exc).__name__}: {exc}",
            hint="Run without --dask (monitor.dask: false), or with fewer workers.",
        ) from exc


def drift_partitioned(
    reference: ReferenceProfile,
    source: PartitionedSource,
    *,
    alpha: float = 0.01,
    fdr: Literal["bh", "bonferroni", "none"] = "bh",
    tests: Sequence[DriftTest | str] = (),
    workers: int | None = None,
    processes: bool = False,
    client: Any = None,
) -> DriftReport:
    """:func:`~boucle.monitor.compute_drift` of ``source``'s partitions, scanned on Dask.

    A ``distributed.LocalCluster`` is started for the call (``workers`` threads, default one
    per core; ``processes=True``: that many single-threaded processes on 127.0.0.1) unless
    ``client`` is an existing ``distributed.Client``.
    """
    from distributed import Client

    from boucle.batch.distributed import default_workers
    from boucle.monitor.drift import drift_from_counters, resolve_tests

    if not 0.0 < alpha < 1.0:
        raise DataError(f"alpha={alpha} is not a probability.", hint="Use e.g. alpha=0.01.")
    if workers is not None and workers < 1:
        raise DataError(f"workers={workers} is not a number of workers.", hint="Use 1 or more.")
    plugins = resolve_tests(tests)
    started = time.perf_counter()
    features = reference.features
    keep = [n for n, f in features.items() if any(f.kind in t.kinds for t in plugins)]
    n_workers = workers or default_workers()
    cluster = None
    if client is None:
        cluster = _start_cluster(n_workers, processes)
        client = Client(cluster)  # type: ignore[no-untyped-call]
    merged = PartialCounts(-1, {name: _counter(f) for name, f in features.items()}, 0, 0,
                           {name: [] for name in keep})  # fmt: skip
    try:
        # A list, not the dict itself: scattering a dict would send each value under its key.
        (shared,) = client.scatter([dict(features)], broadcast=True, hash=False)
        futures = [
            client.submit(accumulate_partition, shared, source, index, keep, pure=False)
            for index in range(len(source.files))
        ]
        pending: dict[int, PartialCounts] = {}
        next_index = 0
        for result in completed_results(
            client,
            futures,
            failure="on a partition",
            hint="Run without --dask to see the failure in one process.",
        ):
            pending[result.index] = result
            while next_index in pending:  # merge in partition order: reproducible floats
                _merge(merged, pending.pop(next_index))
                next_index += 1
        del futures
    finally:
        if cluster is not None:
            client.close()
            cluster.close()
    if merged.rows == 0:
        raise DataError(
            f"the current data has no rows ({len(source.files)} partitions).",
            hint="Widen the window, or point at partitions holding the model's records.",
        )
    return drift_from_counters(
        reference, merged.counters, alpha=alpha, fdr=fdr, plugins=plugins, kept=merged.kept,
        runtime={"started": started, "scanned": time.perf_counter(), "rows": merged.rows,
                 "chunks": merged.chunks, "partitions": len(source.files), "engine": "dask",
                 "workers": n_workers},
    )  # fmt: skip
