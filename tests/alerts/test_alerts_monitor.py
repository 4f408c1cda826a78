"""End to end: `boucle monitor` (the API) fires drift alerts to a real webhook, honours the
cooldown, and the `boucle alerts` commands evaluate values files and test sinks."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from alerts_helpers import RecordingServer, free_port

from boucle import api
from boucle.ledger import Ledger

pytestmark = pytest.mark.slow
BoucleCli = Callable[..., subprocess.CompletedProcess[str]]


def _project(tmp_path: Path, german_path: Path, hook: str) -> Path:
    config = tmp_path / "boucle.yaml"
    config.write_text(
        f"""\
project: german-alerts
task: classification
data: {{source: {german_path}, target: creditability, positive_class: bad}}
train: {{model: logistic_regression, search: {{trials: 0}}}}
export: {{enabled: false}}
alerts:
  attempts: 2
  backoff_s: 0.01
  sinks:
    hook: {{type: webhook, url: "{hook}", allow_private: true}}
    down: {{type: webhook, url: "http://127.0.0.1:{free_port()}/x", allow_private: true}}
  rules:
    - {{name: drift-high, when: "drift.share_drifted > 0.02", severity: critical,
        cooldown: 1h, sinks: [hook, log]}}
    - {{name: age-drift, when: "drift.features.age_in_years.drifted == true", sinks: [hook]}}
    - {{name: f1-low, when: "performance.f1 < 0.75", sinks: [log]}}
"""
    )
    return config


def test_monitor_fires_drift_alerts_with_cooldown(
    tmp_path: Path, german_path: Path, http_server: RecordingServer, boucle_cli: BoucleCli
) -> None:
    config = _project(tmp_path, german_path, http_server.url("/alerts"))
    outcome = api.run(config)
    older = pd.read_csv(german_path).assign(age_in_years=lambda f: f["age_in_years"] + 15)
    older.to_csv(tmp_path / "older.csv", index=False)

    run_id, report = api.monitor(tmp_path / "older.csv", config)
    assert "age_in_years" in report.drifted_features
    assert sorted(r["json"]["rule"] for r in http_server.requests) == ["age-drift", "drift-high"]
    posted = next(r["json"] for r in http_server.requests if r["json"]["rule"] == "drift-high")
    assert posted["severity"] == "critical" and posted["value"] == report.share_drifted
    assert posted["context"]["version"] == "1" and posted["run_id"] == run_id
    with Ledger(f"sqlite:///{tmp_path / '.boucle' / 'ledger.db'}") as ledger:
        fired = ledger.events(kind="alert_fired")
    assert {e.payload["rule"] for e in fired} == {"drift-high", "age-drift"}
    assert all(e.lineage_id == outcome.lineage_id and e.run_id == run_id for e in fired)
    assert fired[0].payload["sinks"] == {"hook": "sent", "log": "sent"}

    # Within the cooldown the same drift fires nothing more.
    api.monitor(tmp_path / "older.csv", config)
    assert len(http_server.requests) == 2
    assert len([e for e in api.audit_log(config) if e.kind == "alert_fired"]) == 2

    # `boucle alerts check` on the stored drift report: drift rules are cooling down.
    stored = tmp_path / ".boucle" / "monitor" / f"{run_id}.json"
    done = boucle_cli("alerts", "check", "--values", str(stored), "--json")
    assert done.returncode == 0, done.stderr
    statuses = {o["rule"]: o["status"] for o in json.loads(done.stdout)}
    assert statuses == {"drift-high": "cooldown", "age-drift": "cooldown", "f1-low": "no_value"}

    # A performance value below its threshold fires to the log sink (stderr), exit 3.
    (tmp_path / "perf.json").write_text(json.dumps({"performance": {"f1": 0.61}}))
    dry = boucle_cli("alerts", "check", "--values", "perf.json", "--dry-run")
    assert dry.returncode == 3, dry.stderr
    assert "triggered" in dry.stdout
    fired_now = boucle_cli("alerts", "check", "--values", "perf.json")
    assert fired_now.returncode == 3, fired_now.stderr
    assert "performance.f1 = 0.61 < 0.75 (german-alerts)" in fired_now.stderr
    assert "log: sent" in fired_now.stdout
    kinds = [e.payload["rule"] for e in api.audit_log(config) if e.kind == "alert_fired"]
    assert kinds == ["drift-high", "age-drift", "f1-low"]  # the dry run recorded nothing

    # Test alerts: one to the live webhook, one to a dead one (retried, then exit 1).
    ok = boucle_cli("alerts", "test", "hook")
    assert ok.returncode == 0, ok.stderr
    assert http_server.requests[-1]["json"]["rule"] == "(test)"
    down = boucle_cli("alerts", "test", "down")
    assert down.returncode == 1
    assert "ConnectionRefusedError" in down.stderr and "after 2 attempts" in down.stderr
    unknown = boucle_cli("alerts", "test", "pager")
    assert unknown.returncode == 2 and "no alert sink named 'pager'" in unknown.stderr
    verify = boucle_cli("audit", "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_values_file_errors_are_clear(tmp_path: Path, boucle_cli: BoucleCli) -> None:
    (tmp_path / "boucle.yaml").write_text(
        "project: p\ntask: classification\ndata: {source: d.csv, target: y}\n"
        "alerts: {rules: [{name: r, when: 'x.y > 1'}]}\n"
    )
    (tmp_path / "list.json").write_text("[1, 2]")
    (tmp_path / "broken.json").write_text("{nope")
    for name, fragment in (
        ("missing.json", "does not exist"),
        ("list.json", "holds a JSON list, not an object"),
        ("broken.json", "is not readable JSON"),
    ):
        done = boucle_cli("alerts", "check", "--values", name)
        assert done.returncode == 2 and fragment in done.stderr, done.stderr
        assert "Traceback" not in done.stderr
