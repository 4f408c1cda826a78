"""POST /explain on a real server: SHAP contributions of one record, validation, light start."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from serve_helpers import Exported, Server, config, free_port, status_of, train_project, wait_for

from boucle.explain import compute_shap
from boucle.serve import ServedModel
from boucle.store import ArtifactStore

Start = Callable[..., Server]
HEAVY = ("pandas/_libs", "sklearn/", "shap/", "onnx/onnx_cpp2py_export", "lightgbm/lib")


def _explainable(exported: Exported, tmp_path: Path) -> ServedModel:
    """``exported`` served with its native pipeline in a fresh artifact store."""
    store = ArtifactStore(str(tmp_path / "store"))
    buffer = io.BytesIO()
    joblib.dump(exported.pipeline, buffer)
    return exported.served(model_digest=store.put_bytes(buffer.getvalue()), store=store)


def test_contributions_add_up_to_the_model_output(
    start_server: Start, adult: Exported, tmp_path: Path
) -> None:
    server = start_server(config(), [_explainable(adult, tmp_path)])
    record = adult.records(1)[0]
    response = server.client.post("/explain", params={"top": 50}, json=record)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model"] == {"alias": "champion", "name": "adult-lightgbm", "version": "1"}
    assert body["method"] == "tree"
    assert body["prediction"] in adult.classes
    contributions = body["contributions"]
    assert sorted(c["feature"] for c in contributions) == sorted(adult.X_test.columns)
    sizes = [abs(c["contribution"]) for c in contributions]
    assert sizes == sorted(sizes, reverse=True)
    by_feature = {c["feature"]: c for c in contributions}
    assert by_feature["age"]["value"] == record["age"]
    # TreeSHAP on LightGBM explains the log-odds of the positive class: base + sum = margin.
    shap = compute_shap(adult.pipeline, adult.X_test.iloc[:1], kind="binary")
    probability = adult.pipeline.predict_proba(adult.X_test.iloc[:1])[0]
    positive = probability[adult.classes.index(adult.positive_class)]
    total = float(shap.base_values[0]) + sum(c["contribution"] for c in contributions)
    assert total == pytest.approx(float(np.log(positive / (1 - positive))), abs=1e-6)
    assert body["probabilities"][adult.positive_class] == pytest.approx(positive, abs=1e-4)
    top = server.client.post("/explain", json=record).json()["contributions"]
    assert top == contributions[:5]  # default top=5, deterministic


def test_bad_requests_are_refused_like_predict(
    start_server: Start, german: Exported, tmp_path: Path
) -> None:
    server = start_server(config(), [_explainable(german, tmp_path)])
    record = german.records(1)[0]
    bad = {**record, "duration_in_month": "long"}
    explained = server.client.post("/explain", json=bad)
    predicted = server.client.post("/predict", json=bad)
    assert explained.status_code == predicted.status_code == 422
    assert explained.json()["errors"] == predicted.json()["errors"]
    assert explained.json()["errors"][0]["path"] == "duration_in_month"
    for top in ("0", "51", "many"):
        response = server.client.post("/explain", params={"top": top}, json=record)
        assert response.status_code == 422, top
        assert "top must be" in response.json()["detail"]
    assert server.client.post("/explain", json=[record]).status_code == 422
    unknown = server.client.post("/explain", params={"alias": "nope"}, json=record)
    assert unknown.status_code == 404 and "champion" in unknown.json()["hint"]
    assert server.client.post("/explain", params={"alias": "champion"}, json=record).is_success
    labels = {"endpoint": "/explain", "route": "champion", "model_version": "1"}
    assert server.metric("boucle_requests_total", status="200", **labels) == 1
    assert server.metric("boucle_errors_total", endpoint="/explain", kind="invalid_top") == 3
    assert server.metric("boucle_errors_total", endpoint="/explain", kind="invalid_records") == 2


def test_a_model_without_a_stored_pipeline_is_a_clear_503(
    start_server: Start, german: Exported
) -> None:
    server = start_server(config(), [german.served()])
    response = server.client.post("/explain", json=german.records(1)[0])
    assert response.status_code == 503
    assert "no stored native pipeline" in response.json()["detail"]
    assert server.client.post("/predict", json=german.records(1)[0]).status_code == 200


@pytest.mark.slow
def test_boucle_serve_loads_the_pipeline_only_on_the_first_explain(
    tmp_path: Path, german_path: Path
) -> None:
    project = train_project(tmp_path / "project", german_path)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "boucle", "serve", "--port", str(port)],
        cwd=project.parent,
        env={**os.environ, "NO_COLOR": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import httpx

    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120)
    try:
        wait_for(
            lambda: status_of(client, "/readyz") == 200 or process.poll() is not None,
            timeout_s=180,
            what="boucle serve to be ready",
        )
        assert process.poll() is None
        maps = Path(f"/proc/{process.pid}/maps").read_text()
        assert "onnxruntime" in maps
        assert [name for name in HEAVY if name in maps] == []
        record = pd.read_csv(german_path).drop(columns="creditability").head(1)
        body = record.to_dict(orient="records")[0]
        first = client.post("/explain", params={"top": 3}, json=body)
        assert first.status_code == 200, first.text
        answer = first.json()
        assert answer["method"] == "tree" and len(answer["contributions"]) == 3
        assert answer["contributions"][0]["feature"] in record.columns
        second = client.post("/explain", params={"top": 3}, json=body)
        assert second.json()["contributions"] == answer["contributions"]
        assert "sklearn/" in Path(f"/proc/{process.pid}/maps").read_text()  # loaded lazily
    finally:
        client.close()
        process.send_signal(signal.SIGTERM)
        process.wait(60)
