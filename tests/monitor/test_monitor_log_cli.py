"""``boucle monitor`` on the serving log: drift per day, performance from feedback, operations.

The project is really trained (German credit); the log is written by the real PredictionLog
writer with the model's real predictions, as ``boucle serve`` would, over three days, the
third with applicants 15 years older.
"""

from __future__ import annotations

import io
import json
import uuid
from pathlib import Path
from typing import Any

import joblib
import orjson
import pandas as pd
import pytest

from boucle.serve.predlog import LogRecord, PredictionLog
from boucle.store import ArtifactStore

pytestmark = pytest.mark.slow
DAY = 86_400.0
T0 = 1_780_000_000.0


def _write_log(
    folder: Path, rows: pd.DataFrame, truth: pd.Series, pipeline: Any, classes: list[str]
) -> None:
    probabilities = pipeline.predict_proba(rows)
    log = PredictionLog(folder, max_records=100_000, max_bytes=1 << 30, flush_rows=5_000,
                        flush_seconds=60)  # fmt: skip
    log.start()
    for n, (record, p) in enumerate(zip(rows.to_dict("records"), probabilities, strict=True)):
        request_id = uuid.uuid4().hex
        when = T0 + (n // 300) * DAY + n
        response = {
            "predictions": [classes[int(p.argmax())]],
            "probabilities": [dict(zip(classes, map(float, p), strict=True))],
        }
        log.record(LogRecord(request_id, when, "prediction", 200, "champion", "champion",
                             "german-monitor", "1", None, 1.5 + n % 7, 1, orjson.dumps(record),
                             orjson.dumps(response)))  # fmt: skip
        if n % 2 == 0:
            log.record(LogRecord(request_id, when + 5, "feedback", 202,
                                 outcome=orjson.dumps(truth.iloc[n])))  # fmt: skip
    log.close()


def test_monitor_reads_the_serving_log(
    boucle_cli: Any, tmp_path: Path, german_path: Path, german: pd.DataFrame
) -> None:
    (tmp_path / "boucle.yaml").write_text(
        "project: german-monitor\ntask: classification\n"
        f"data: {{source: {german_path}, target: creditability, positive_class: bad, "
        "sensitive: [foreign_worker]}\n"
        "train: {model: logistic_regression, search: {trials: 0}}\nexport: {enabled: false}\n"
        "explain: {enabled: false}\nrobustness: {enabled: false}\n"
        "alerts:\n  rules:\n"
        "    - {name: drift, when: 'drift.share_drifted > 0.02', sinks: [ops]}\n"
        "    - {name: slow, when: 'ops.p99_ms > 1000', sinks: [ops]}\n"
        "    - {name: weak, when: 'performance.accuracy < 0.99', sinks: [ops]}\n"
        "  sinks: {ops: {type: log}}\n"
    )
    assert boucle_cli("run").returncode == 0
    run_id = json.loads(boucle_cli("runs", "--json").stdout)[0]["run_id"]
    train = json.loads(boucle_cli("show", run_id).stdout)["steps"]["train"]["manifest"]
    store = ArtifactStore(str(tmp_path / ".boucle"))
    pipeline = joblib.load(io.BytesIO(store.get_bytes(train["model_digest"])))
    rows = german.sample(900, random_state=1).reset_index(drop=True)
    truth = rows.pop("creditability")
    rows.loc[600:, "age_in_years"] = rows.loc[600:, "age_in_years"] + 15  # day 3: older applicants
    _write_log(tmp_path / ".boucle" / "predictions", rows, truth, pipeline, train["classes"])

    done = boucle_cli("monitor", "--since", "2020-01-01", "--html", "monitor.html")
    assert done.returncode == 3, done.stderr  # drift
    third_day = pd.Timestamp(T0 + 2 * DAY, unit="s", tz="UTC").date().isoformat()
    assert "age_in_years" in done.stdout and f"drift in: {third_day}" in done.stdout
    assert "450 labelled of 900 scored" in done.stdout
    assert "operations: 900 requests" in done.stdout
    page = (tmp_path / "monitor.html").read_text()
    for heading in ("Data drift", "Drift timeline", "Model performance", "Operations"):
        assert heading in page
    events = json.loads(boucle_cli("audit", "log", "--json").stdout)
    checked = [e for e in events if e["kind"] == "performance_checked"][-1]["payload"]
    assert checked["labelled"] == 450 and checked["version"] == 1
    assert 0.5 < checked["measured"]["accuracy"] <= 1.0
    drift = [e for e in events if e["kind"] == "drift_checked"][-1]["payload"]
    assert "age_in_years" in drift["drifted"]
    fired = sorted(e["payload"]["rule"] for e in events if e["kind"] == "alert_fired")
    assert fired == ["drift", "weak"]  # p99 is far below 1000 ms
