"""End to end on the real CLI: `boucle init` on German credit, a feature function, `boucle run`.

The feature reaches the model's inputs, the ledger and the train step's cache key (editing the
function's body re-runs train, nothing else upstream); `boucle export` names the function that
blocks ONNX; a failing project test refuses the registration.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from boucle.hashing import blake3_hex

pytestmark = pytest.mark.slow
BoucleCli = Callable[..., subprocess.CompletedProcess[str]]
RATIO = "credit_amount_per_duration_in_month"
FAST = {"BOUCLE_TRAIN__SEARCH__TRIALS": "0"}


def _ok(done: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, text
    path.write_text(text.replace(old, new))


def _make_project(cli: BoucleCli, german_path: Path, env: dict[str, str]) -> Path:
    args = ("init", "credit", "--data", str(german_path), "--target", "creditability")
    done = _ok(cli(*args, env=env))
    assert "created  boucle.yaml" in done.stdout and "positive class 'bad'" in done.stdout
    project = Path(done.stdout.split("project credit in ", 1)[1].split()[0])
    config = project / "boucle.yaml"
    _edit(config, "features: []", "features: [features.py:add_ratio]")
    _edit(config, "export:\n  enabled: true", "export:\n  enabled: false")
    return project


def _last_run(cli: BoucleCli, project: Path, env: dict[str, str]) -> dict[str, Any]:
    rows: list[dict[str, Any]] = json.loads(_ok(cli("runs", "--json", cwd=project, env=env)).stdout)
    return rows[-1]


def _events(cli: BoucleCli, project: Path, env: dict[str, str], run_id: str) -> list[Any]:
    log = _ok(cli("audit", "log", "--run", run_id, "--json", cwd=project, env=env))
    events: list[Any] = json.loads(log.stdout)
    return events


def test_feature_function_from_init_to_model_ledger_and_cache(
    boucle_cli: BoucleCli, german_path: Path
) -> None:
    env = dict(FAST)
    project = _make_project(boucle_cli, german_path, env)
    _ok(boucle_cli("doctor", cwd=project, env=env))
    _ok(boucle_cli("run", cwd=project, env=env))
    first = _last_run(boucle_cli, project, env)
    assert first["status"] == "finished" and first["model_version"] == "1"
    assert first["steps"]["quality"] == "done" and first["steps"]["train"] == "done"
    assert "export" not in first["steps"]

    # The model's inputs: the train manifest, and the registered model loaded back from MLflow.
    manifest = json.loads(_ok(boucle_cli("show", first["run_id"], cwd=project, env=env)).stdout)
    train = manifest["steps"]["train"]["manifest"]
    assert train["model_inputs"][-1] == RATIO and RATIO not in train["features"]
    source_hash = blake3_hex((project / "features.py").read_bytes())
    assert [(f["spec"], f["source_hash"]) for f in train["feature_functions"]] == [
        ("features.py:add_ratio", source_hash)
    ]
    _assert_registered_model_applies_the_feature(project, manifest)

    # The ledger: the function and its source hash, the quality check.
    events = _events(boucle_cli, project, env, first["run_id"])
    (applied,) = [e["payload"] for e in events if e["kind"] == "feature_functions_applied"]
    assert applied["functions"] == [
        {"spec": "features.py:add_ratio", "function": "add_ratio", "source_hash": source_hash}
    ]
    assert applied["added"] == [RATIO] and applied["removed"] == []
    assert applied["model_digest"] == train["model_digest"]
    (quality,) = [e["payload"] for e in events if e["kind"] == "quality_checked"]
    assert quality["passed"] and quality["tools"]["pytest"]["counts"]["passed"] == 2
    assert quality["tools"]["ruff"]["status"] == "passed"

    # Neither the project's code nor the data changed: quality, data steps and train are cached.
    _ok(boucle_cli("run", cwd=project, env=env))
    second = _last_run(boucle_cli, project, env)["steps"]
    for step in ("quality", "snapshot", "validate", "profile", "split", "train"):
        assert second[step] == "cached", second

    # The function's body changes: train re-runs (new cache key), the data steps do not.
    _edit(project / "features.py", "/ denominator})", "/ denominator.astype(float)})")
    _ok(boucle_cli("run", cwd=project, env=env))
    third = _last_run(boucle_cli, project, env)
    assert third["steps"]["quality"] == "done" and third["steps"]["train"] == "done"
    for step in ("snapshot", "validate", "profile", "split"):
        assert third["steps"][step] == "cached"
    assert third["model_version"] == "2" and third["lineage_id"] != first["lineage_id"]
    runs = (first["run_id"], third["run_id"])
    shown = [_ok(boucle_cli("show", run_id, cwd=project, env=env)) for run_id in runs]
    keys = [json.loads(s.stdout)["steps"]["train"]["key"] for s in shown]
    assert keys[0] != keys[1]

    # ONNX export: the Python function blocks it, and the message names it.
    export = boucle_cli("export", cwd=project, env=env)
    assert export.returncode == 2
    assert "'features.py:add_ratio'" in export.stderr and "no ONNX form" in export.stderr

    # A new model while a project test fails: the quality policy (block_on: [failures])
    # refuses its registration. (With an unchanged model, register is cached: nothing new.)
    (project / "tests" / "test_broken.py").write_text("def test_broken() -> None:\n    assert 0\n")
    _edit(project / "features.py", ".astype(float)", '.astype("float64")')
    refused = boucle_cli("run", cwd=project, env=env)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "registration refused by quality.block_on" in refused.stderr
    assert "pytest: failed" in refused.stderr
    last = _last_run(boucle_cli, project, env)
    assert last["status"] == "failed" and last.get("model_version") is None
    _ok(boucle_cli("audit", "verify", cwd=project, env=env))


def _assert_registered_model_applies_the_feature(project: Path, manifest: dict[str, Any]) -> None:
    """The skops model file in MLflow loads (the feature step is a trusted boucle type)."""
    import mlflow
    import pandas as pd

    from boucle.train.pipeline import feature_names

    register = manifest["steps"]["register"]["manifest"]
    mlflow.set_tracking_uri(manifest["config"]["stores"]["tracking"])
    model = mlflow.sklearn.load_model(register["model_uri"])
    assert f"num__{RATIO}" in feature_names(model)
    rows = pd.read_csv(manifest["config"]["data"]["source"]).drop(columns=["creditability"])
    assert model.predict_proba(rows.head(5)).shape == (5, 2)


@pytest.mark.postgres
def test_the_loop_records_the_project_on_a_postgres_ledger(
    boucle_cli: BoucleCli, german_path: Path, postgres_url: str
) -> None:
    env = {**FAST, "BOUCLE_STORES__LEDGER": postgres_url}
    project = _make_project(boucle_cli, german_path, env)
    _ok(boucle_cli("run", cwd=project, env=env))
    run = _last_run(boucle_cli, project, env)
    assert run["status"] == "finished"
    log = _ok(boucle_cli("audit", "log", "--json", cwd=project, env=env))
    kinds = [event["kind"] for event in json.loads(log.stdout)]
    assert kinds[0] == "project_initialized"
    assert {"quality_checked", "feature_functions_applied", "model_registered"} <= set(kinds)
    _ok(boucle_cli("audit", "verify", cwd=project, env=env))
    assert not (project / ".boucle" / "ledger.db").exists()
