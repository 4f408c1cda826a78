"""The prediction log converts queued records in slices but still writes per flush.

Records leave the in-memory queue as Arrow columns a few hundred at a time (memory), while
files are still cut every ``flush_rows`` records or ``flush_seconds`` seconds (their size).
"""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
from serve_helpers import wait_for

from boucle.serve.predlog import LogRecord, PredictionLog, read_prediction_log

DAY = 86400.0


def _record(index: int) -> LogRecord:
    return LogRecord(f"r{index}", 19_000 * DAY + index, "prediction", 200, request=b"{}")


def test_files_follow_flush_rows_not_the_conversion_slices(tmp_path: Path) -> None:
    written: list[int] = []
    log = PredictionLog(
        tmp_path,
        max_records=10_000,
        max_bytes=10**9,
        flush_rows=1000,
        flush_seconds=600,
        on_written=written.append,
    )
    log.start()
    for index in range(2500):
        assert log.record(_record(index))
    log.close()
    sizes = sorted(pq.read_metadata(f).num_rows for f in tmp_path.rglob("part-*.parquet"))
    assert sum(sizes) == sum(written) == 2500
    assert len(sizes) <= 3 and all(size >= 1000 for size in sizes[1:])  # never 256-row files
    # Every record once (files are named by uuid: their order is not the write order).
    ids = read_prediction_log(tmp_path)["request_id"].to_pylist()
    assert sorted(ids, key=lambda i: int(i[1:])) == [f"r{index}" for index in range(2500)]


def test_the_queue_bound_counts_records_not_yet_converted(tmp_path: Path) -> None:
    log = PredictionLog(
        tmp_path, max_records=300, max_bytes=10**9, flush_rows=10_000, flush_seconds=600
    )
    log.start()
    for index in range(256):
        assert log.record(_record(index))
    # a slice is converted by the writer: the queue has room again, nothing is written yet
    wait_for(lambda: log.queued == 0, what="the slice to be converted")
    assert all(log.record(_record(index)) for index in range(256, 512))
    assert not list(tmp_path.rglob("part-*.parquet"))
    log.close()
    assert read_prediction_log(tmp_path).num_rows == 512


def test_a_quiet_log_is_written_after_flush_seconds(tmp_path: Path) -> None:
    log = PredictionLog(
        tmp_path, max_records=100, max_bytes=10**6, flush_rows=1000, flush_seconds=0.2
    )
    log.start()
    for index in range(10):
        log.record(_record(index))
    wait_for(lambda: list(tmp_path.rglob("part-*.parquet")), what="the timed flush")
    log.close()
    assert read_prediction_log(tmp_path).num_rows == 10
