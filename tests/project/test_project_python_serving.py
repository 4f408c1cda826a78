"""A model with a feature function has no ONNX form: recorded, then served on the Python path.

End to end on the real CLI and a real ``boucle serve`` (uvicorn on 127.0.0.1): `boucle init`
on German credit with a feature function and export on; `boucle run` finishes and records the
block (ledger, registry tag, skipped skew); `boucle export` names the function; the server
scores requests with the native pipeline, flags them ``"runtime": "python"`` everywhere, and
agrees with the pipeline loaded from the store; ``serve.python_fallback: refuse`` refuses.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest

from testkit import boucle_serve, free_port

pytestmark = pytest.mark.slow
BoucleCli = Callable[..., subprocess.CompletedProcess[str]]
FAST = {"BOUCLE_TRAIN__SEARCH__TRIALS": "0"}
RATIO = "credit_amount_per_duration_in_month"


def _ok(done: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert done.returncode == 0, done.stdout + done.stderr
    return done


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, german_path: Path) -> Path:
    """A `boucle init` project with a feature function, export on, run once."""
    folder = tmp_path_factory.mktemp("python-path")
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", **FAST}

    def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "boucle", *args]
        return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)

    _ok(cli("init", "credit", "--data", str(german_path), "--target", "creditability", cwd=folder))
    project = folder / "credit"
    config = project / "boucle.yaml"
    text = config.read_text()
    assert "features: []" in text and "export:\n  enabled: true" in text
    config.write_text(text.replace("features: []", "features: [features.py:add_ratio]"))
    _ok(cli("run", cwd=project))
    return project


def _manifest(boucle_cli: BoucleCli, project: Path) -> dict[str, Any]:
    runs = json.loads(_ok(boucle_cli("runs", "--json", cwd=project, env=FAST)).stdout)
    shown = _ok(boucle_cli("show", runs[-1]["run_id"], cwd=project, env=FAST))
    manifest: dict[str, Any] = json.loads(shown.stdout)
    return manifest


def test_the_run_records_the_block_and_export_names_the_function(
    boucle_cli: BoucleCli, project: Path
) -> None:
    manifest = _manifest(boucle_cli, project)
    assert manifest["status"] == "finished"
    export = manifest["steps"]["export"]["manifest"]
    assert export["onnx_digest"] is None and export["runtime"] == "python"
    assert export["blocked_by"] == ["features.py:add_ratio"]
    assert "no ONNX form" in manifest["steps"]["skew"]["manifest"]["skipped"]

    log = _ok(boucle_cli("audit", "log", "--json", cwd=project, env=FAST))
    events = json.loads(log.stdout)
    (blocked,) = [e["payload"] for e in events if e["kind"] == "model_export_blocked"]
    assert blocked["version"] == "1" and blocked["blocked_by"] == ["features.py:add_ratio"]

    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=manifest["config"]["stores"]["tracking"])
    tags = client.get_model_version("credit", "1").tags
    assert tags["boucle.runtime"] == "python" and "boucle.onnx_digest" not in tags
    assert tags["boucle.onnx_blocked_by"] == "features.py:add_ratio"

    refused = boucle_cli("export", "1", cwd=project, env=FAST)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "'features.py:add_ratio'" in refused.stderr and "no ONNX form" in refused.stderr
    assert "python_fallback" in refused.stderr
    _ok(boucle_cli("audit", "verify", cwd=project, env=FAST))


@pytest.fixture
def server(project: Path) -> Iterator[tuple[subprocess.Popen[str], httpx.Client]]:
    with boucle_serve(project) as running:
        yield running


def test_the_server_scores_on_the_flagged_python_path(
    boucle_cli: BoucleCli,
    project: Path,
    german_path: Path,
    server: tuple[subprocess.Popen[str], httpx.Client],
) -> None:
    process, client = server
    ready = client.get("/readyz").json()
    assert ready["models"]["champion"]["runtime"] == "python"

    rows = pd.read_csv(german_path).drop(columns=["creditability"]).head(20)
    records = json.loads(rows.to_json(orient="records"))
    answer = client.post("/predict", json=records)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["model"]["runtime"] == "python" and body["model"]["version"] == "1"

    # The same pipeline, read from the store by its digest, gives the same probabilities.
    import joblib

    from boucle.store import ArtifactStore

    manifest = _manifest(boucle_cli, project)
    digest = manifest["steps"]["train"]["manifest"]["model_digest"]
    store = ArtifactStore(str(project / ".boucle"))
    pipeline = joblib.load(io.BytesIO(store.get_bytes(digest)))
    assert RATIO in pipeline[0].transform(rows.head(1)).columns  # the feature function
    expected = pipeline.predict_proba(rows)[:, list(pipeline.classes_).index(1)]
    served = [row["bad"] for row in body["probabilities"]]
    np.testing.assert_allclose(served, expected, rtol=0, atol=1e-6)

    # Invalid input is refused by the same generated schema as on the ONNX path.
    bad = client.post("/predict", json={**records[0], "duration_in_month": "long"})
    assert bad.status_code == 422 and "duration_in_month" in bad.text

    metrics = client.get("/metrics").text
    assert "boucle_models_python_runtime 1.0" in metrics

    process.send_signal(signal.SIGTERM)
    out, _ = process.communicate(timeout=60)
    assert "has no ONNX form: serving its native Python pipeline" in out, out


def test_python_fallback_refuse_refuses_the_model(project: Path) -> None:
    config = project / "boucle.yaml"
    original = config.read_text()
    config.write_text(original + "serve: {python_fallback: refuse}\n")
    try:
        done = subprocess.run(
            [sys.executable, "-m", "boucle", "serve", "--port", str(free_port())],
            cwd=project,
            env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"},
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        config.write_text(original)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "python_fallback is 'refuse'" in done.stderr
    assert "'features.py:add_ratio'" in done.stderr


def test_package_refuses_and_batch_scores_on_the_python_path(
    boucle_cli: BoucleCli, project: Path, german_path: Path, tmp_path: Path
) -> None:
    packaged = boucle_cli("package", "--out", str(tmp_path / "bundle"), cwd=project, env=FAST)
    assert packaged.returncode == 2, packaged.stdout + packaged.stderr
    assert "has no ONNX form" in packaged.stderr and "boucle serve" in packaged.stderr
    assert not (tmp_path / "bundle").exists()

    import joblib
    import pyarrow.parquet as pq

    from boucle.store import ArtifactStore

    rows = pd.read_csv(german_path)
    manifest = _manifest(boucle_cli, project)
    digest = manifest["steps"]["train"]["manifest"]["model_digest"]
    pipeline = joblib.load(io.BytesIO(ArtifactStore(str(project / ".boucle")).get_bytes(digest)))
    expected = pipeline.predict_proba(rows.drop(columns=["creditability"]))[:, 1]
    for engine in ([], ["--dask", "--workers", "2"]):
        out = tmp_path / f"scores{len(engine)}.parquet"
        args = ("predict", "--input", str(german_path), "--output", str(out), *engine)
        scored = _ok(boucle_cli(*args, cwd=project, env=FAST))
        assert "Python pipeline: this version has no ONNX form" in scored.stdout
        table = pq.read_table(out)
        assert table.schema.metadata[b"boucle.runtime"] == b"python"
        assert table.schema.metadata[b"boucle.model_digest"] == digest.encode()
        scores = table.to_pandas().sort_values("row_number")
        assert len(scores) == len(rows)
        np.testing.assert_allclose(scores["proba_bad"], expected, rtol=0, atol=1e-12)
    log = _ok(boucle_cli("audit", "log", "--json", cwd=project, env=FAST))
    batches = [e["payload"] for e in json.loads(log.stdout) if e["kind"] == "batch_scored"]
    assert [b["runtime"] for b in batches] == ["python", "python"]


def test_a_plugin_model_without_converter_takes_the_same_path(
    boucle_cli: BoucleCli, german_path: Path, tmp_path: Path
) -> None:
    from boucle.config import load_config
    from boucle.serve.config import RecordRules
    from boucle.serve.models import load_models
    from boucle.serving import build_serve_config, load_served_models

    gaussian = "sklearn.naive_bayes:GaussianNB"  # a module:attr model: onnx_convertible False
    env = {**FAST, "BOUCLE_TRAIN__MODEL": gaussian}
    _ok(boucle_cli("init", "nb", "--data", str(german_path), "--target", "creditability"))
    project = tmp_path / "nb"
    _ok(boucle_cli("run", cwd=project, env=env))
    export = _manifest(boucle_cli, project)["steps"]["export"]["manifest"]
    assert export["blocked_by"] == [f"train.model: {gaussian}"]
    assert "does not declare onnx_convertible = True" in export["reason"]

    config = load_config(project / "boucle.yaml", env=env)
    (served,) = load_served_models(config, build_serve_config(config))
    assert served.runtime == "python" and served.onnx_bytes == b""
    loaded, refused = load_models([served], rules=RecordRules(max_rows=100), sticky_key=None)
    assert refused == {}
    model = loaded["champion"]
    rows = pd.read_csv(german_path).drop(columns=["creditability"]).head(5)
    records = model.schema.validate(json.loads(rows.to_json(orient="records")))
    prediction = model.predict(model.schema.feed(records))
    assert prediction.probabilities is not None and prediction.probabilities.shape == (5, 2)
    assert set(prediction.labels) <= {"good", "bad"}
