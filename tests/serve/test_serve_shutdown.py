"""SIGTERM under load: every request the server accepted is answered and logged."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pyarrow.compute as pc
from serve_helpers import TOKEN, Exported, free_port, status_of, wait_for

from boucle.serve import read_prediction_log

LAUNCHER = Path(__file__).with_name("serve_launcher.py")


def test_sigterm_under_load_drains_requests_and_flushes_the_log(
    adult: Exported, tmp_path: Path
) -> None:
    model_path = tmp_path / "model.onnx"
    model_path.write_bytes(adult.onnx.onnx_bytes)
    port = free_port()
    log_dir = tmp_path / "predlog"
    served = adult.served()
    spec = {
        "port": port,
        # A long flush interval: what is still queued at SIGTERM must be flushed on shutdown.
        "config": {
            "admin_token": TOKEN,
            "log_dir": str(log_dir),
            "log_flush_seconds": 60,
            "log_flush_rows": 100_000,
        },
        "models": [
            {
                "alias": served.alias,
                "name": served.name,
                "version": served.version,
                "onnx_path": str(model_path),
                "expected_hash": served.expected_hash,
                "task_kind": "binary",
                "classes": list(served.classes or ()),
                "positive_class": served.positive_class,
            }
        ],
    }
    spec_path = tmp_path / "spec.json"
    spec_path.write_text(json.dumps(spec))
    errors = (tmp_path / "server.err").open("wb")
    process = subprocess.Popen(
        [sys.executable, str(LAUNCHER), str(spec_path)], stdout=errors, stderr=errors
    )
    url = f"http://127.0.0.1:{port}"
    answers: list[tuple[int, str, bool]] = []  # status, request id, after SIGTERM
    refused: list[str] = []
    signalled = threading.Event()
    records = adult.records(50)
    try:
        probe = httpx.Client(base_url=url)
        wait_for(lambda: status_of(probe, "/readyz") == 200, what="the server to be ready")
        probe.close()

        def client() -> None:
            with httpx.Client(base_url=url, timeout=60) as session:
                while process.poll() is None:
                    try:
                        response = session.post("/predict", json=records)
                    except httpx.TransportError as exc:  # not accepted: closed or refused
                        refused.append(type(exc).__name__)
                        continue
                    after = signalled.is_set()
                    answers.append((response.status_code, response.json()["request_id"], after))

        threads = [threading.Thread(target=client) for _ in range(8)]
        for thread in threads:
            thread.start()
        wait_for(lambda: len(answers) >= 80, what="load to build up")
        signalled.set()
        process.send_signal(signal.SIGTERM)
        assert process.wait(120) in {0, -signal.SIGTERM}
        for thread in threads:
            thread.join(60)
    finally:
        if process.poll() is None:
            process.kill()
        errors.close()
    log = (tmp_path / "server.err").read_text()
    assert "Traceback" not in log, log
    assert {status for status, _, _ in answers} == {200}
    answered = {request_id for _, request_id, _ in answers}
    table = read_prediction_log(log_dir)
    logged = set(table.filter(pc.equal(table["kind"], "prediction"))["request_id"].to_pylist())
    assert logged == answered  # answered => logged, and nothing accepted went unanswered
    assert len(answered) == len(answers)
    assert any(after for _, _, after in answers), "no request was in flight at SIGTERM"
