"""The prediction log: every request and response, queued in memory, written as Parquet.

Serving never waits for the disk: :meth:`PredictionLog.record` appends a tuple to a bounded
in-memory queue (bounded in records and in bytes) and returns. A writer thread takes the
queue every ``flush_rows`` records or ``flush_seconds`` seconds and writes one Parquet file per
UTC day, ``log_dir/date=YYYY-MM-DD/part-<uuid>.parquet``, atomically: a hidden temporary file
in the same folder, fsync, rename, fsync of the folder, so a reader (Dask, pyarrow datasets,
which skip hidden files) never sees half a file. When the queue is full or a write fails
(disk full, folder made read-only) the records are dropped and counted; serving goes on and a
warning is logged at most every 10 seconds. :meth:`PredictionLog.close` writes what is left.

A record is a :class:`LogRecord`; ``request``, ``response`` and ``outcome`` are JSON text.
The columns are built by :mod:`boucle.serve.arrow_columns`, which keeps pandas out of the
server.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from boucle.serve.memory import release_arrow_memory, release_heap

__all__ = ["LOG_FIELDS", "LogRecord", "PredictionLog", "read_prediction_log"]

_log = logging.getLogger("boucle.serve")


class LogRecord(NamedTuple):
    """One row of the prediction log (``timestamp`` in epoch seconds, JSON as bytes or str)."""

    request_id: str
    timestamp: float
    kind: str  # "prediction", "shadow" or "feedback"
    status: int
    route: str | None = None
    alias: str | None = None
    model_name: str | None = None
    model_version: str | None = None
    lineage_id: str | None = None
    latency_ms: float | None = None
    n_rows: int = 0
    request: bytes | str | None = None
    response: bytes | str | None = None
    error: str | None = None
    outcome: bytes | str | None = None


#: Columns of the prediction log, in the order of :class:`LogRecord`.
LOG_FIELDS = LogRecord._fields
_EPOCH = dt.date(1970, 1, 1)
_WARN_EVERY_S = 10.0
_SLICE = 256


class PredictionLog:
    """A bounded queue of log records drained to Parquet by one writer thread.

    ``on_dropped(n)`` and ``on_written(n)`` are called with record counts (for the metrics).
    """

    def __init__(
        self,
        log_dir: Path,
        *,
        max_records: int,
        max_bytes: int,
        flush_rows: int,
        flush_seconds: float,
        on_dropped: Callable[[int], None] = lambda n: None,
        on_written: Callable[[int], None] = lambda n: None,
    ) -> None:
        self.log_dir = Path(log_dir)
        self._max_records = max_records
        self._max_bytes = max_bytes
        self._flush_rows = flush_rows
        self._flush_seconds = flush_seconds
        self._on_dropped = on_dropped
        self._on_written = on_written
        self._pending: deque[LogRecord] = deque()
        self._bytes = 0
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closed = False
        self._last_warning = -_WARN_EVERY_S
        self._thread = threading.Thread(target=self._run, name="boucle-predlog", daemon=True)

    def start(self) -> None:
        """Start the writer thread (pyarrow is imported here, not on the first flush)."""
        import pyarrow.parquet  # noqa: F401

        self._thread.start()

    def record(self, record: LogRecord, size: int = 0) -> bool:
        """Queue ``record`` (``size``: its approximate bytes); ``False`` if it was dropped."""
        with self._lock:
            accepted = (
                not self._closed
                and len(self._pending) < self._max_records
                and self._bytes + size <= self._max_bytes
            )
            if accepted:
                self._pending.append(record)
                self._bytes += size
                full = len(self._pending) >= self._flush_rows
        if not accepted:
            self._dropped(1, "the prediction log queue is full or closed")
            return False
        if full:
            self._wake.set()
        return True

    def close(self, timeout_s: float = 30.0) -> None:
        """Refuse new records, write the queued ones and stop the writer thread."""
        with self._lock:
            self._closed = True
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    def _run(self) -> None:
        while True:
            self._wake.wait(self._flush_seconds)
            self._wake.clear()
            with self._lock:
                batch, self._pending, self._bytes = list(self._pending), deque(), 0
                closed = self._closed
            if batch:
                self._write(batch)
            if closed:
                return

    def _write(self, batch: list[LogRecord]) -> None:
        days: dict[int, list[LogRecord]] = defaultdict(list)
        for record in batch:
            days[int(record[1] // 86400)].append(record)
        for day, records in days.items():
            folder = self.log_dir / f"date={(_EPOCH + dt.timedelta(days=day)).isoformat()}"
            try:
                _write_parquet(folder, records)
            except Exception as exc:  # any failure of the sink must not stop serving
                self._dropped(len(records), f"writing to {folder} failed: {exc}")
            else:
                self._on_written(len(records))
        # Arrow's pool and the C heap keep what a write freed; a flush is rare (seconds apart)
        # and the trim takes a millisecond or two, in this thread.
        release_arrow_memory()
        release_heap()

    def _dropped(self, count: int, why: str) -> None:
        self._on_dropped(count)
        now = time.monotonic()
        if now - self._last_warning >= _WARN_EVERY_S:
            self._last_warning = now
            _log.warning("prediction log dropped %d record(s): %s", count, why)


def _write_parquet(folder: Path, records: Sequence[LogRecord]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    # Converted in slices: each conversion holds the GIL, and a slice of a few hundred rows
    # keeps the pause of the event loop to a millisecond or so instead of a whole flush.
    batches = [_record_batch(records[i : i + _SLICE]) for i in range(0, len(records), _SLICE)]
    table = pa.Table.from_batches(batches)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"part-{uuid.uuid4().hex}.parquet"
    temporary = folder / f".{name}.tmp"
    try:
        with open(temporary, "wb") as handle:
            pq.write_table(table, handle, compression="zstd")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, folder / name)
    finally:
        temporary.unlink(missing_ok=True)
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)  # make the rename itself durable
    finally:
        os.close(descriptor)


def _record_batch(records: Sequence[LogRecord]) -> Any:
    import numpy as np
    import pyarrow as pa

    from boucle.serve.arrow_columns import float64_array, int_array, string_array
    from boucle.serve.arrow_columns import timestamp_array as timestamps

    columns = list(zip(*records, strict=True))
    arrays = [
        string_array(columns[0]),
        timestamps(columns[1]),
        string_array(columns[2]),
        int_array(columns[3], np.int16),
        *(string_array(columns[i]) for i in range(4, 9)),
        float64_array(columns[9]),
        int_array(columns[10], np.int32),
        *(string_array(columns[i]) for i in range(11, 15)),
    ]
    return pa.RecordBatch.from_arrays(arrays, names=list(LOG_FIELDS))


def read_prediction_log(log_dir: Path | str) -> Any:
    """Every record under ``log_dir`` as one pyarrow Table (with the ``date`` partition)."""
    import pyarrow.dataset as ds

    dataset = ds.dataset(str(log_dir), format="parquet", partitioning="hive")
    return dataset.to_table()
