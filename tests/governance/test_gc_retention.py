"""`boucle gc`: prediction-log days past retention go, everything else stays (both ledgers).

The prediction log is written by the real writer (boucle.serve.predlog.PredictionLog) with
records dated in the past, so the day partitions are those `boucle serve` leaves behind.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from boucle.config import BoucleConfig, load_config
from boucle.governance.retention import retention_period, run_gc
from boucle.ledger import Ledger
from boucle.serve.predlog import LogRecord, PredictionLog, read_prediction_log
from boucle.store import ArtifactStore

NOW = datetime.now(UTC)
MINIMAL = "use_case: {purpose: aggregate statistics, domain: other}\n"


def _config(root: Path, ledger_url: str, extra: str = "", store: str = "") -> BoucleConfig:
    (root / "boucle.yaml").write_text(
        "project: credit\ntask: classification\n"
        "data: {source: german.csv, target: creditability}\n"
        f"stores: {{ledger: '{ledger_url}'{store}}}\n" + extra
    )
    return load_config(root / "boucle.yaml", env={})


def _write_log(log_dir: Path, days_ago: list[int]) -> None:
    """One prediction per day, `days_ago` days before NOW (at NOW's time of day)."""
    log = PredictionLog(
        log_dir, max_records=1000, max_bytes=10**7, flush_rows=1000, flush_seconds=0.05
    )
    log.start()
    for n, ago in enumerate(days_ago):
        moment = (NOW - timedelta(days=ago)).timestamp()
        log.record(LogRecord(f"r{n}", moment, "prediction", 200, alias="champion", n_rows=1))
    log.close()


def _day(ago: int) -> str:
    return (NOW - timedelta(days=ago)).date().isoformat()


def _partitions(log_dir: Path) -> list[str]:
    return sorted(p.name for p in log_dir.iterdir())


def _age(path: Path, hours: float) -> None:
    stamp = (NOW - timedelta(hours=hours)).timestamp()
    os.utime(path, (stamp, stamp))


def test_gc_deletes_only_what_is_past_retention(tmp_path: Path, gov_ledger_url: str) -> None:
    cfg = _config(tmp_path, gov_ledger_url)  # no use_case: high-risk, 183 days
    log_dir = tmp_path / ".boucle" / "predictions"
    # 184 days ago is the last whole day past 183 days; 183 days ago is partly inside.
    _write_log(log_dir, [400, 184, 183, 182, 1, 0])
    store = ArtifactStore(cfg.stores.root)
    model = store.put_bytes(b"a model the run manifest references")
    store.write_text_atomic("runs/r1.json", json.dumps({"steps": {"train": {"digest": model}}}))
    tmp = tmp_path / ".boucle" / "tmp"
    tmp.mkdir()
    (tmp / "stale.part").write_bytes(b"x" * 10)
    (tmp / "uploading.part").write_bytes(b"y" * 10)
    _age(tmp / "stale.part", 25)
    _age(tmp / "uploading.part", 1)
    for path in (Path(store.path_of(model)), tmp_path / ".boucle" / "runs" / "r1.json"):
        _age(path, 24 * 400)  # old, yet objects and manifests are never gc's to delete

    dry = run_gc(cfg, dry_run=True, now=NOW)
    assert dry.retention.days == 183 and dry.retention.risk_class == "high"
    assert dry.cutoff == _day(183)
    listed = [(i.kind, i.path) for i in dry.items]
    assert listed == [
        ("prediction_log_day", f"date={_day(400)}"),
        ("prediction_log_day", f"date={_day(184)}"),
        ("temp_file", "tmp/stale.part"),
    ]
    assert dry.kept_days == 4 and dry.event_index is None
    assert len(_partitions(log_dir)) == 6 and (tmp / "stale.part").exists()
    with Ledger(gov_ledger_url) as ledger:
        assert ledger.events(kind="gc_done") == []  # a dry run writes nothing

    done = run_gc(cfg, now=NOW)
    assert [(i.kind, i.path) for i in done.items] == listed
    assert _partitions(log_dir) == [f"date={_day(ago)}" for ago in (183, 182, 1, 0)]
    assert not (tmp / "stale.part").exists() and (tmp / "uploading.part").exists()
    store.verify(model)
    assert store.read_text("runs/r1.json")
    assert read_prediction_log(log_dir).num_rows == 4
    with Ledger(gov_ledger_url) as ledger:
        (event,) = ledger.events(kind="gc_done")
        assert ledger.verify().ok
    assert event.index == done.event_index
    payload = event.payload
    assert [d["path"] for d in payload["deleted"]] == [path for _, path in listed]
    assert payload["deleted"][0]["files"] == 1 and payload["deleted"][0]["day"] == _day(400)
    assert payload["bytes"] == done.bytes > 0
    assert payload["retention_days"] == 183 and payload["kept_days"] == 4
    assert payload["log_dir"] == str(log_dir)

    again = run_gc(cfg, now=NOW)  # nothing left to delete, still recorded
    assert again.items == () and again.event_index == done.event_index + 1


def test_retention_period_per_risk_class(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / '.boucle' / 'ledger.db'}"
    high = retention_period(_config(tmp_path, url))
    assert (high.days, high.source, high.minimum) == (183, "policy retention_days", 183)
    minimal = retention_period(_config(tmp_path, url, MINIMAL))
    assert (minimal.days, minimal.risk_class, minimal.minimum) == (90, "minimal", 0)
    short = retention_period(_config(tmp_path, url, MINIMAL + "governance: {retention_days: 7}\n"))
    assert (short.days, short.source) == (7, "governance.retention_days")
    # High-risk never goes below six months, whatever boucle.yaml says.
    floor = retention_period(_config(tmp_path, url, "governance: {retention_days: 30}\n"))
    assert (floor.days, floor.source) == (183, "high policy min_retention_days")
    (tmp_path / "policies.yaml").write_text("minimal: {retention_days: 14}\n")
    assert retention_period(_config(tmp_path, url, MINIMAL)).days == 14
    longer = retention_period(_config(tmp_path, url, "governance: {retention_days: 400}\n"))
    assert longer.days == 400


def test_gc_follows_a_shorter_minimal_risk_retention(tmp_path: Path, gov_ledger_url: str) -> None:
    cfg = _config(tmp_path, gov_ledger_url, MINIMAL + "governance: {retention_days: 7}\n")
    log_dir = tmp_path / ".boucle" / "predictions"
    _write_log(log_dir, [9, 8, 7, 6])
    report = run_gc(cfg, now=NOW)
    assert [i.day for i in report.items] == [_day(9), _day(8)]
    assert _partitions(log_dir) == [f"date={_day(7)}", f"date={_day(6)}"]


def test_gc_never_deletes_a_partition_holding_the_ledger(tmp_path: Path) -> None:
    """A log_dir misconfigured around the ledger: the partition is skipped, not deleted."""
    old = date(2020, 1, 1).isoformat()
    ledger_url = f"sqlite:///{tmp_path / 'logs' / f'date={old}' / 'ledger.db'}"
    cfg = _config(tmp_path, ledger_url, "serve: {log_dir: logs}\n", store=", root: .")
    with Ledger(ledger_url) as ledger:
        ledger.append("run_started", {})
    report = run_gc(cfg, now=NOW)
    assert report.items == ()
    assert len(report.skipped) == 1 and "ledger.db" in report.skipped[0]
    with Ledger(ledger_url) as ledger:
        assert [e.kind for e in ledger.events()] == ["run_started", "gc_done"]
        assert ledger.verify().ok


def test_gc_leaves_what_is_not_a_day_partition(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / '.boucle' / 'ledger.db'}"
    cfg = _config(tmp_path, url)
    log_dir = tmp_path / ".boucle" / "predictions"
    _write_log(log_dir, [300])
    (log_dir / "date=2020-13-45").mkdir()  # not a date
    (log_dir / "date=2020-01-02").write_text("a file, not a folder")
    (log_dir / "notes").mkdir()
    (log_dir / "date=2020-01-03").symlink_to(log_dir / "notes")
    report = run_gc(cfg, now=NOW)
    assert [i.path for i in report.items] == [f"date={_day(300)}"]
    assert _partitions(log_dir) == ["date=2020-01-02", "date=2020-01-03", "date=2020-13-45",
                                    "notes"]  # fmt: skip
