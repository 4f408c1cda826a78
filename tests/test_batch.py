"""Batch scoring through the real CLI: ONNX scores match the native pipeline, output is atomic."""

from __future__ import annotations

import io
import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest

from boucle.store import ArtifactStore

BoucleCli = Callable[..., subprocess.CompletedProcess[str]]
pytestmark = pytest.mark.slow


def test_batch_scores_match_the_native_pipeline(
    boucle_cli: BoucleCli, tmp_path: Path, german_path: Path, german: pd.DataFrame
) -> None:
    (tmp_path / "boucle.yaml").write_text(
        f"project: german-batch\ntask: classification\n"
        f"data: {{source: {german_path}, target: creditability, positive_class: bad}}\n"
        "train: {model: lightgbm, search: {trials: 0}}\n"
    )
    assert boucle_cli("run").returncode == 0
    features = german.drop(columns=["creditability"])
    features.to_parquet(tmp_path / "rows.parquet")
    done = boucle_cli("batch", "--input", "rows.parquet", "--output", "out/scored.parquet",
                      "--chunk-rows", "300")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "scored 1000 rows" in done.stdout
    scored = pd.read_parquet(tmp_path / "out" / "scored.parquet")
    assert len(scored) == 1000 and set(scored["model_version"]) == {"german-batch/1"}
    assert list(scored.columns[: features.shape[1]]) == list(features.columns)
    # The same rows through the native pipeline, loaded from the hash-verified store.
    run_id = json.loads(boucle_cli("runs", "--json").stdout)[0]["run_id"]
    manifest = json.loads(boucle_cli("show", run_id).stdout)
    train = manifest["steps"]["train"]["manifest"]
    store = ArtifactStore(str(tmp_path / ".boucle"))
    pipeline = joblib.load(io.BytesIO(store.get_bytes(train["model_digest"])))
    native = pipeline.predict_proba(features)
    assert np.max(np.abs(native[:, 1] - scored["proba_bad"].to_numpy())) < 1e-5
    labels = np.asarray(train["classes"])[pipeline.predict(features)]
    assert (labels == scored["prediction"].to_numpy()).all()
    # The CSV input works too, and a missing file is a clean error.
    features.head(10).to_csv(tmp_path / "rows.csv", index=False)
    assert boucle_cli("batch", "--input", "rows.csv", "--output", "s.parquet").returncode == 0
    missing = boucle_cli("batch", "--input", "nope.csv")
    assert missing.returncode == 2 and "nope.csv" in missing.stderr
    log = json.loads(boucle_cli("audit", "log", "--json").stdout)
    assert [e["payload"]["rows"] for e in log if e["kind"] == "batch_scored"] == [1000, 10]
    assert not list((tmp_path / "out").glob(".*tmp*"))
