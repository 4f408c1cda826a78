"""The MLflow UI shows boucle's runs: start the real `mlflow ui` on a loopback port and ask it."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

BoucleCli = Callable[..., subprocess.CompletedProcess[str]]
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _get(url: str, body: dict[str, object] | None = None) -> dict[str, object]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        result: dict[str, object] = json.loads(response.read())
        return result


def test_mlflow_ui_lists_the_run_and_the_registered_model(
    boucle_cli: BoucleCli, tmp_path: Path, german_path: Path
) -> None:
    (tmp_path / "boucle.yaml").write_text(
        f"project: german-ui\ntask: classification\n"
        f"data: {{source: {german_path}, target: creditability, positive_class: bad}}\n"
        "train: {model: logistic_regression, search: {trials: 0}}\n"
    )
    done = boucle_cli("run")
    assert done.returncode == 0, done.stderr
    run_id = json.loads(boucle_cli("runs", "--json").stdout)[0]["run_id"]
    port = _free_port()
    mlflow = shutil.which("mlflow", path=os.path.dirname(sys.executable)) or "mlflow"
    uri = f"sqlite:///{tmp_path / '.boucle' / 'mlflow.db'}"
    server = subprocess.Popen(
        [mlflow, "ui", "--backend-store-uri", uri, "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{base}/health", timeout=2).close()
                break
            except OSError:
                assert server.poll() is None, "mlflow ui exited"
                assert time.monotonic() < deadline, "mlflow ui did not start in 120 s"
                time.sleep(0.5)
        experiments = _get(f"{base}/api/2.0/mlflow/experiments/search", {"max_results": 10})
        ids = [e["experiment_id"] for e in experiments["experiments"] if e["name"] == "german-ui"]  # type: ignore[attr-defined,index]
        assert len(ids) == 1
        runs = _get(f"{base}/api/2.0/mlflow/runs/search", {"experiment_ids": ids})
        tags = {t["key"]: t["value"] for t in runs["runs"][0]["data"]["tags"]}  # type: ignore[index]
        assert tags["boucle.run_id"] == run_id
        model = _get(f"{base}/api/2.0/mlflow/registered-models/get?name=german-ui")
        aliases = {a["alias"] for a in model["registered_model"]["aliases"]}  # type: ignore[index]
        assert aliases == {"champion", "challenger"}
        with urllib.request.urlopen(base + "/", timeout=10) as page:
            assert b"MLflow" in page.read()
    finally:
        server.terminate()
        server.wait(timeout=30)
