"""The prediction log: every request and response, queued in memory, written as Parquet.

Serving never waits for the disk: :meth:`PredictionLog.record` appends a tuple to a bounded
in-memory queue (bounded in records and in bytes) and returns. A writer thread turns the
queued records into Arrow columns a few hundred at a time, and every ``flush_rows`` records or
``flush_seconds`` seconds writes them as one Parquet file per UTC day,
``log_dir/date=YYYY-MM-DD/part-<uuid>.parquet``, atomically: a hidden temporary file
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

from boucle.serve.memory import import_arrow, release_arrow_memory, release_heap

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
#: Records converted to Arrow at a time: the writer wakes when this many are queued.
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
        self._convert_rows = min(flush_rows, _SLICE)
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
        import_arrow()  # on the C allocator, which gives back what a write freed
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
                full = len(self._pending) >= self._convert_rows
        if not accepted:
            self._dropped(1, "the prediction log queue is full or closed")
            return False
        if full:
            self._wake.set()
        return True

    @property
    def queued(self) -> int:
        """Records in the queue that the writer has not taken yet (they count in its bounds)."""
        with self._lock:
            return len(self._pending)

    def close(self, timeout_s: float = 30.0) -> None:
        """Refuse new records, write the queued ones and stop the writer thread."""
        with self._lock:
            self._closed = True
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    def _run(self) -> None:
        # Queued records are turned into Arrow columns as soon as a slice of them is there,
        # and only written every flush_rows records or flush_seconds seconds. As Python objects
        # (about 1 KiB each, allocated between the server's own) a whole flush of records
        # pins pages of the allocators long after it is written: 12-14 MiB more RSS
        # after a load test than with slices; as columns they take half and go in big blocks.
        converted: dict[int, list[Any]] = defaultdict(list)  # UTC day -> record batches
        rows = 0
        due = time.monotonic() + self._flush_seconds
        while True:
            self._wake.wait(max(0.0, due - time.monotonic()))
            self._wake.clear()
            with self._lock:
                batch, self._pending, self._bytes = list(self._pending), deque(), 0
                closed = self._closed
            rows += self._convert(batch, converted)
            del batch
            now = time.monotonic()
            if rows >= self._flush_rows or now >= due or closed:
                if rows:
                    self._write(converted)
                converted, rows = defaultdict(list), 0
                due = now + self._flush_seconds
            if closed:
                return

    def _convert(self, batch: list[LogRecord], converted: dict[int, list[Any]]) -> int:
        """Append ``batch`` to ``converted`` as Arrow record batches per UTC day; the rows added."""
        days: dict[int, list[LogRecord]] = defaultdict(list)
        for record in batch:
            days[int(record[1] // 86400)].append(record)
        rows = 0
        for day, records in days.items():
            try:
                # in slices: each conversion holds the GIL, a slice of a few hundred rows
                # keeps the pause of the event loop to a millisecond or so
                slices = [
                    _record_batch(records[i : i + _SLICE]) for i in range(0, len(records), _SLICE)
                ]
            except Exception as exc:  # a record the columns refuse must not stop the log
                self._dropped(len(records), f"converting records to Arrow failed: {exc}")
                continue
            converted[day].extend(slices)
            rows += len(records)
        return rows

    def _write(self, converted: dict[int, list[Any]]) -> None:
        for day, batches in converted.items():
            folder = self.log_dir / f"date={(_EPOCH + dt.timedelta(days=day)).isoformat()}"
            count = sum(batch.num_rows for batch in batches)
            try:
                _write_parquet(folder, batches)
            except Exception as exc:  # any failure of the sink must not stop serving
                self._dropped(count, f"writing to {folder} failed: {exc}")
            else:
                self._on_written(count)
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


def _write_parquet(folder: Path, batches: Sequence[Any]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

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
