"""End-to-end: drive the real ``boucle`` CLI on the real Adult and German credit data."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow
BoucleCli = Callable[..., subprocess.CompletedProcess[str]]
STEPS = (
    "snapshot", "validate", "profile", "split", "train", "evaluate", "explain", "fairness",
    "robustness", "register", "export", "skew", "reference",
)  # fmt: skip


def _runs(cli: BoucleCli, cwd: Path) -> list[dict[str, object]]:
    done = cli("runs", "--json", cwd=cwd)
    assert done.returncode == 0, done.stderr
    rows: list[dict[str, object]] = json.loads(done.stdout)
    return rows


def test_quickstart_runs_the_loop_without_shared_data(
    boucle_cli: BoucleCli, tmp_path: Path
) -> None:
    # Two trials keep the test short; the shipped config (10 trials) is measured by the benchmark.
    done = boucle_cli("quickstart", "--dir", "qs", env={"BOUCLE_TRAIN__SEARCH__TRIALS": "2"})
    assert done.returncode == 0, done.stderr
    project = tmp_path / "qs"
    assert (project / "boucle.yaml").is_file()
    assert (project / "data" / "adult.csv").stat().st_size > 3_000_000
    for text in ("run id", "lineage id", "test roc_auc", "adult-income v1", "champion"):
        assert text in done.stdout
    assert "mlflow ui --backend-store-uri sqlite:///" in done.stdout
    report = (project / ".boucle" / "reports" / "profile.html").read_text()
    for section in ("Overview", "Correlations", "Validation", "PII", "Representation"):
        assert section in report
    assert "Amer-Indian-Eskimo" in report  # the race groups of the representation table
    assert "boucle audit verify" in done.stdout
    # The summary states the fairness gate's verdict as the ledger recorded it.
    checked = boucle_cli("audit", "log", "--kind", "fairness_checked", "--json", cwd=project)
    (fairness,) = json.loads(checked.stdout)
    verdict = "passed" if fairness["payload"]["passed"] else "failed: sex: demographic parity"
    assert re.search(rf"fairness gate +│ {verdict}", done.stdout)
    rows = _runs(boucle_cli, project)
    assert len(rows) == 1 and rows[0]["status"] == "finished"
    metrics = rows[0]["metrics"]
    assert isinstance(metrics, dict) and metrics["roc_auc"] > 0.88
    # The MLflow store holds the run and the registered model with both aliases.
    with sqlite3.connect(project / ".boucle" / "mlflow.db") as db:
        aliases = dict(db.execute("select alias, version from registered_model_aliases"))
        tags = dict(db.execute("select key, value from tags where key like 'boucle.%'"))
    assert aliases == {"champion": 1, "challenger": 1}
    assert tags["boucle.run_id"] == rows[0]["run_id"]
    assert tags["boucle.lineage_id"] == rows[0]["lineage_id"]
    # A second quickstart keeps the files and redoes no work.
    again = boucle_cli("quickstart", "--dir", "qs", env={"BOUCLE_TRAIN__SEARCH__TRIALS": "2"})
    assert again.returncode == 0, again.stderr
    assert "kept" in again.stdout
    steps = _runs(boucle_cli, project)[-1]["steps"]
    assert steps == dict.fromkeys(STEPS, "cached")
    # The cached re-run is only the import floor: no heavy library is loaded for it.
    assert _heavy_modules_of_cached_run(project) == []


_HEAVY = ("lightgbm", "mlflow", "numpy", "pandas", "pyarrow", "scipy", "sklearn", "smtplib",
          "sqlalchemy")  # fmt: skip


def _heavy_modules_of_cached_run(project: Path) -> list[str]:
    script = (
        "import atexit, sys\n"
        f"atexit.register(lambda: print(sorted(m for m in {_HEAVY!r} if m in sys.modules)))\n"
        "sys.argv = ['boucle', 'run', '-c', 'boucle.yaml']\n"
        "from boucle.cli.main import main\n"
        "main()\n"
    )
    env = {**os.environ, "BOUCLE_TRAIN__SEARCH__TRIALS": "2"}  # as the quickstart above
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=project, env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1].replace("'", '"'))
    return loaded


def test_run_cache_reproduce_and_audit(
    boucle_cli: BoucleCli,
    tmp_path: Path,
    adult_yaml: Callable[..., str],
    adult_path: Path,
    adult_options: dict[str, Any],
) -> None:
    (tmp_path / "boucle.yaml").write_text(adult_yaml(trials=2))
    first = boucle_cli("run")
    assert first.returncode == 0, first.stderr
    # Nothing changed: every step is cached and the model is not registered again.
    second = boucle_cli("run")
    assert second.returncode == 0, second.stderr
    assert _runs(boucle_cli, tmp_path)[-1]["steps"] == dict.fromkeys(STEPS, "cached")
    # Only the search changed: snapshot and split are reused, train and after re-run.
    third = boucle_cli("run", env={"BOUCLE_TRAIN__SEARCH__TRIALS": "3"})
    assert third.returncode == 0, third.stderr
    rows = _runs(boucle_cli, tmp_path)
    assert rows[-1]["steps"] == {
        "snapshot": "cached", "validate": "cached", "profile": "cached", "split": "cached",
        "train": "done", "evaluate": "done", "explain": "done", "fairness": "done",
        "robustness": "done", "register": "done", "export": "done", "skew": "done",
        "reference": "cached",
    }  # fmt: skip
    assert [r["model_version"] for r in rows] == ["1", "1", "2"]
    assert rows[0]["lineage_id"] == rows[1]["lineage_id"] != rows[2]["lineage_id"]

    shown = boucle_cli("show", str(rows[0]["run_id"])[:17])
    assert shown.returncode == 0, shown.stderr
    manifest = json.loads(shown.stdout)
    assert manifest["steps"]["train"]["manifest"]["trials_completed"] == 2

    again = boucle_cli("reproduce", str(rows[2]["run_id"]))
    assert again.returncode == 0, again.stderr + again.stdout
    assert "identical" in again.stdout

    # Monitoring: a random sample of the data does not drift; the same rows aged by 3 years do.
    import pandas as pd

    frame = pd.read_csv(adult_path, **adult_options).sample(5000, random_state=1)
    frame.to_parquet(tmp_path / "same.parquet")
    frame.assign(age=frame["age"] + 3).to_csv(tmp_path / "older.csv", index=False)
    calm = boucle_cli("monitor", "--current", "same.parquet")
    assert calm.returncode == 0, calm.stderr + calm.stdout
    drifted = boucle_cli("monitor", "--current", "older.csv")
    assert drifted.returncode == 3, drifted.stderr + drifted.stdout
    report = json.loads((tmp_path / ".boucle" / "monitor").glob("*.json").__next__().read_text())
    assert report["features"]

    verify = boucle_cli("audit", "verify")
    assert verify.returncode == 0 and "chain intact" in verify.stdout
    log = boucle_cli("audit", "log", "--run", str(rows[0]["run_id"]), "--json")
    kinds = [event["kind"] for event in json.loads(log.stdout)]
    assert kinds[0] == "run_started" and kinds[-1] == "run_finished"
    assert kinds.count("step_finished") == len(STEPS)
    assert {"data_validated", "model_registered", "alias_set", "model_exported"} <= set(kinds)
    # ONNX parity on the held-out split, recorded in the run manifest.
    parity = manifest["steps"]["export"]["manifest"]["parity"]
    assert parity["passed"] and parity["label_agreement"] == 1.0
    # Exporting the champion again (version 1) is a cache hit of the same export.
    exported = boucle_cli("export", "champion")
    assert exported.returncode == 0, exported.stderr
    assert "exported version 1 (cached)" in exported.stdout
    missing = boucle_cli("export", "gold")
    assert missing.returncode == 2 and "no version or alias 'gold'" in missing.stderr

    # Tampering with one event is found, and the command names it.
    with sqlite3.connect(tmp_path / ".boucle" / "ledger.db") as db:
        db.execute("update boucle_ledger_events set payload = '{}' where idx = 3")
    broken = boucle_cli("audit", "verify")
    assert broken.returncode == 1
    assert "event 3" in broken.stderr


def test_german_credit_logistic_regression_with_postgres_ledger(
    boucle_cli: BoucleCli, tmp_path: Path, german_path: Path, postgres_url: str
) -> None:
    (tmp_path / "boucle.yaml").write_text(
        f"""\
project: german-credit
task: classification
data:
  source: {german_path}
  target: creditability
  positive_class: bad
  sensitive: [personal_status_and_sex, age_in_years, foreign_worker]
train:
  model: logistic_regression
  search: {{trials: 3, metric: roc_auc}}
export:
  quantize: {{mode: dynamic, max_drop: 0.005}}
stores:
  ledger: {postgres_url}
"""
    )
    done = boucle_cli("run")
    assert done.returncode == 0, done.stderr
    rows = _runs(boucle_cli, tmp_path)
    assert rows[0]["metrics"]["roc_auc"] > 0.7  # type: ignore[index]
    manifest = json.loads(boucle_cli("show", str(rows[0]["run_id"])).stdout)
    evaluation = manifest["steps"]["evaluate"]["manifest"]
    assert evaluation["metrics"]["roc_auc"] == rows[0]["metrics"]["roc_auc"]  # type: ignore[index]
    assert not (tmp_path / ".boucle" / "ledger.db").exists()
    quantization = manifest["steps"]["export"]["manifest"]["quantization"]
    assert quantization["decision"] in ("kept", "refused")
    assert quantization["size_before"] > 0 and quantization["metric_before"] > 0.7
    assert boucle_cli("audit", "verify").returncode == 0


@pytest.mark.parametrize(
    ("target", "task", "model", "headline"),
    [
        ("hours-per-week", "regression", "xgboost", "rmse"),
        ("relationship", "classification", "random_forest", "f1"),
    ],
)
def test_regression_and_multiclass_targets(
    boucle_cli: BoucleCli,
    tmp_path: Path,
    adult_yaml: Callable[..., str],
    target: str,
    task: str,
    model: str,
    headline: str,
) -> None:
    text = adult_yaml(target=target, task=task, positive="", model=model, trials=0)
    (tmp_path / "boucle.yaml").write_text(text)
    done = boucle_cli("run")
    assert done.returncode == 0, done.stderr
    manifest = json.loads(boucle_cli("show", str(_runs(boucle_cli, tmp_path)[0]["run_id"])).stdout)
    metrics = manifest["steps"]["evaluate"]["manifest"]["metrics"]
    assert metrics[headline] is not None
    if task == "regression":
        assert 5 < metrics["rmse"] < 13  # hours-per-week std is ~12.3; a model must beat it
    else:
        assert manifest["steps"]["train"]["manifest"]["classes"] == sorted(
            ["Husband", "Not-in-family", "Other-relative", "Own-child", "Unmarried", "Wife"]
        )
        assert metrics["f1"] > 0.3
