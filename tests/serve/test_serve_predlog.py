"""The prediction log: Parquet partitioned by day, every request, survives a broken sink."""

from __future__ import annotations

import datetime as dt
import stat
from collections.abc import Callable
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
from serve_helpers import Exported, Server, config, wait_for

from boucle.serve import LOG_FIELDS, read_prediction_log
from boucle.serve.predlog import LogRecord, PredictionLog

Start = Callable[..., Server]


def _predictions(folder: Path) -> list[dict[str, object]]:
    if not folder.exists():
        return []
    table = read_prediction_log(folder)
    if table.num_rows == 0:
        return []
    rows: list[dict[str, object]] = table.filter(pc.equal(table["kind"], "prediction")).to_pylist()
    return rows


def test_every_request_lands_in_a_daily_parquet_partition(
    start_server: Start, adult: Exported, tmp_path: Path
) -> None:
    server = start_server(config(tmp_path), [adult.served()])
    ids = {}
    for record in adult.records(25):
        body = server.client.post("/predict", json=record).json()
        ids[body["request_id"]] = 200
    bad = server.client.post("/predict", json={"age": "x"}).json()
    ids[bad["request_id"]] = 422
    last = body["request_id"]
    feedback = server.client.post("/feedback", json={"request_id": last, "outcome": ">50K"})
    assert feedback.status_code == 202 and feedback.json()["recorded"] is True
    folder = tmp_path / "predlog"
    rows = wait_for(lambda: len(_predictions(folder)) == 26 and _predictions(folder))
    assert {row["request_id"]: row["status"] for row in rows} == ids
    for row in rows:
        stamp = row["timestamp"]
        assert isinstance(stamp, dt.datetime)
        assert row["date"] == stamp.astimezone(dt.UTC).date().isoformat()
        assert row["model_name"] == "adult-lightgbm" and row["model_version"] == "1"
        assert row["lineage_id"] == "lineage-champion-1"
        assert row["status"] == 422 or (row["n_rows"] == 1 and '"predictions"' in row["response"])
    files = sorted(folder.rglob("*"))
    parts = [f for f in files if f.is_file()]
    assert parts and all(f.parent.name.startswith("date=") for f in parts)
    assert all(f.name.startswith("part-") and f.suffix == ".parquet" for f in parts)
    assert pq.read_schema(parts[0]).names == list(LOG_FIELDS)
    table = wait_for(lambda: _feedback(folder))
    assert table == [(last, '">50K"')]


def _feedback(folder: Path) -> list[tuple[object, object]]:
    table = read_prediction_log(folder)
    rows = table.filter(pc.equal(table["kind"], "feedback")).to_pylist()
    return [(row["request_id"], row["outcome"]) for row in rows]


def test_feedback_is_validated(start_server: Start, adult: Exported, tmp_path: Path) -> None:
    server = start_server(config(tmp_path), [adult.served()])
    assert (
        server.client.post("/feedback", json={"request_id": "x", "outcome": 1}).status_code == 422
    )
    assert server.client.post("/feedback", json={"outcome": 1}).status_code == 422


def test_broken_log_directory_keeps_serving_and_counts_drops(
    start_server: Start, adult: Exported, tmp_path: Path
) -> None:
    server = start_server(config(tmp_path), [adult.served()])
    folder = tmp_path / "predlog"
    record = adult.records(1)[0]
    server.client.post("/predict", json=record)
    wait_for(lambda: server.metric("boucle_prediction_log_written_total") >= 1)
    restore = _break(folder)
    for _ in range(10):
        assert server.client.post("/predict", json=record).status_code == 200
    wait_for(
        lambda: server.metric("boucle_prediction_log_dropped_total") >= 10,
        what="dropped records to be counted",
    )
    assert server.client.get("/readyz").status_code == 200
    restore()
    written = server.metric("boucle_prediction_log_written_total")
    server.client.post("/predict", json=record)
    wait_for(
        lambda: server.metric("boucle_prediction_log_written_total") > written,
        what="the log to recover",
    )


def _break(folder: Path) -> Callable[[], None]:
    """Make ``folder`` unwritable: read-only, or (as root, who ignores modes) a plain file."""
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    probe = folder / "probe"
    try:
        probe.touch()
    except PermissionError:
        return lambda: folder.chmod(stat.S_IRWXU)
    probe.unlink()
    folder.chmod(stat.S_IRWXU)
    aside = folder.with_name("predlog-aside")
    folder.rename(aside)
    folder.write_bytes(b"")  # mkdir of date=... inside a file fails

    def restore() -> None:
        folder.unlink()
        aside.rename(folder)

    return restore


def test_queue_overflow_drops_and_counts(tmp_path: Path) -> None:
    dropped: list[int] = []
    log = PredictionLog(
        tmp_path,
        max_records=2,
        max_bytes=1000,
        flush_rows=100,
        flush_seconds=60,
        on_dropped=dropped.append,
    )
    record = LogRecord("id", 0.0, "prediction", 200)
    assert [log.record(record, 10) for _ in range(3)] == [True, True, False]
    assert log.record(record, 2000) is False  # over the byte bound
    assert dropped == [1, 1]
    log.start()
    log.close()
    assert read_prediction_log(tmp_path).num_rows == 2
    assert log.record(record) is False  # closed


def test_writes_are_atomic_and_leave_no_temporary_files(tmp_path: Path) -> None:
    written: list[int] = []
    log = PredictionLog(
        tmp_path,
        max_records=10_000,
        max_bytes=10**9,
        flush_rows=100,
        flush_seconds=60,
        on_written=written.append,
    )
    log.start()
    day = 86400.0
    for index in range(250):
        log.record(
            LogRecord(
                f"r{index}",
                19_000 * day + index * 600.0,
                "prediction",
                200,
                request=b'{"a":1}',
                response="{}",
            )
        )
    log.close()
    assert sum(written) == 250
    assert sorted(p.name for p in tmp_path.iterdir()) == ["date=2022-01-08", "date=2022-01-09"]
    assert not [p for p in tmp_path.rglob(".*")]
    table = read_prediction_log(tmp_path)
    assert table.num_rows == 250
    assert set(table["request"].to_pylist()) == {'{"a":1}'}


def test_columns_keep_nulls_unicode_and_replace_bad_utf8(tmp_path: Path) -> None:
    log = PredictionLog(tmp_path, max_records=10, max_bytes=10**6, flush_rows=100, flush_seconds=60)
    log.start()
    log.record(LogRecord("a", 1.5, "feedback", 202, outcome=b'"\xc3\xa9t\xc3\xa9"'))
    log.record(
        LogRecord(
            "b", 2.0, "prediction", 422, "champion", "champion", "m", "1", None, 3, 0,
            b"\xff\xfe not utf-8", "r\u00e9ponse \U0001f600", "erreur \u00e0 l'entr\u00e9e",
        )
    )  # fmt: skip
    log.close()
    rows = {row["request_id"]: row for row in read_prediction_log(tmp_path).to_pylist()}
    assert rows["a"]["outcome"] == '"été"' and rows["a"]["latency_ms"] is None
    assert rows["a"]["route"] is None and rows["a"]["n_rows"] == 0
    assert rows["b"]["request"] == "\ufffd\ufffd not utf-8"
    assert rows["b"]["response"] == "réponse 😀" and rows["b"]["latency_ms"] == 3.0
    assert rows["b"]["timestamp"].timestamp() == 2.0 and rows["b"]["status"] == 422
