"""`boucle gc` from the command line, and gc of a remote (S3) store's temp files."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from boucle.config import load_config
from boucle.governance.retention import run_gc
from boucle.ledger import Ledger
from boucle.store import ArtifactStore

BoucleCli = Callable[..., subprocess.CompletedProcess[str]]


def _ok(done: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def test_gc_command_dry_run_then_delete(boucle_cli: BoucleCli, tmp_path: Path) -> None:
    (tmp_path / "boucle.yaml").write_text(
        "project: census\ntask: classification\ndata: {source: adult.csv, target: income}\n"
        "use_case: {purpose: aggregate statistics, domain: other}\n"
    )
    log_dir = tmp_path / ".boucle" / "predictions"
    old = (datetime.now(UTC) - timedelta(days=120)).date().isoformat()
    today = datetime.now(UTC).date().isoformat()
    for day in (old, today):
        (log_dir / f"date={day}").mkdir(parents=True)
        (log_dir / f"date={day}" / "part-0.parquet").write_bytes(b"PAR1" * 8)

    dry = json.loads(_ok(boucle_cli("gc", "--dry-run", "--json")).stdout)
    assert dry["dry_run"] and dry["event_index"] is None
    assert dry["retention_days"] == 90 and dry["risk_class"] == "minimal"
    assert [d["path"] for d in dry["deleted"]] == [f"date={old}"]
    assert (log_dir / f"date={old}").is_dir()

    text = _ok(boucle_cli("gc")).stdout
    assert "retention: 90 days (policy retention_days; minimal risk" in text
    assert f"date={old}" in text and "recorded as gc_done" in text
    assert sorted(p.name for p in log_dir.iterdir()) == [f"date={today}"]
    with Ledger(f"sqlite:///{tmp_path / '.boucle' / 'ledger.db'}") as ledger:
        (event,) = ledger.events(kind="gc_done")
    assert event.payload["deleted"][0]["bytes"] == 32


def test_gc_removes_stale_temp_files_of_an_s3_store(
    tmp_path: Path, s3_root: str, s3_options: dict[str, Any]
) -> None:
    (tmp_path / "boucle.yaml").write_text(
        "project: credit\ntask: classification\ndata: {source: g.csv, target: y}\n"
        f"stores: {{root: '{s3_root}', storage_options: {json.dumps(s3_options)}}}\n"
    )
    cfg = load_config(tmp_path / "boucle.yaml", env={})
    store = ArtifactStore(cfg.stores.root, storage_options=cfg.stores.storage_options)
    kept = store.put_bytes(b"an object")
    from fsspec.core import url_to_fs

    fs, base = url_to_fs(s3_root, **s3_options)
    fs.pipe_file(f"{base}/tmp/left-by-a-crash.part", b"partial")

    fresh = run_gc(cfg)  # just written: younger than 24 hours
    assert fresh.items == () and fresh.log_dir is None
    assert "prediction log not cleaned" in fresh.notes[0]
    later = run_gc(cfg, now=datetime.now(UTC) + timedelta(days=2))
    assert [(i.kind, i.path, i.bytes) for i in later.items] == [
        ("temp_file", "tmp/left-by-a-crash.part", 7)
    ]
    assert not fs.exists(f"{base}/tmp/left-by-a-crash.part")
    store.verify(kept)
