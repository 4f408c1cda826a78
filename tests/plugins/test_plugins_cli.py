"""End to end: ``boucle plugins list`` and a ``boucle run`` on plug-ins found by entry point.

The plug-in distributions live in a temporary folder put on ``PYTHONPATH`` of the ``boucle``
subprocess: what ``pip install`` would give, without touching the shared environment.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

BoucleCli = Callable[..., subprocess.CompletedProcess[str]]


def _path(*folders: Path) -> dict[str, str]:
    return {"PYTHONPATH": os.pathsep.join(str(folder) for folder in folders)}


def test_the_cli_does_not_import_plugins_at_startup() -> None:
    code = (
        "import sys, boucle.cli.main; prefixes = ('boucle.plugins', 'boucle.testing'); "
        "print(sorted(m for m in sys.modules if m.startswith(prefixes)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_plugins_list_shows_each_plugin_and_its_conformance(
    boucle_cli: BoucleCli, site: Path
) -> None:
    done = boucle_cli("plugins", "list", "--json", env=_path(site))
    assert done.returncode == 0, done.stderr
    rows = {(row["kind"], row["name"]): row for row in json.loads(done.stdout)}
    assert set(rows) == {("model", "demo_logistic"), ("data_check", "no_negative"),
                         ("drift_test", "mean_shift"), ("gate", "min_rows"),
                         ("alert_sink", "jsonl")}  # fmt: skip
    assert {row["status"] for row in rows.values()} == {"ok"}
    assert {row["distribution"] for row in rows.values()} == {"boucle-demo-plugins 1.0"}
    assert rows[("gate", "min_rows")]["target"] == "demo_plugins:MinRows"
    table = boucle_cli("plugins", "list", "--kind", "gate", "--builtins", env=_path(site))
    assert table.returncode == 0, table.stderr
    for text in ("min_rows", "boucle-demo-plugins 1.0", "beats_champion", "built-in"):
        assert text in table.stdout
    assert "demo_logistic" not in table.stdout


def test_plugins_list_says_what_is_wrong_with_broken_plugins(
    boucle_cli: BoucleCli, site: Path, broken_site: Path
) -> None:
    done = boucle_cli("plugins", "list", "--json", env=_path(site, broken_site))
    assert done.returncode == 1, done.stderr
    rows = {row["name"]: row for row in json.loads(done.stdout)}
    assert rows["demo_logistic"]["status"] == "ok"
    assert rows["not_a_model"]["status"] == "load error"
    assert "it lacks predict" in rows["not_a_model"]["detail"]
    assert rows["ghost"]["status"] == "load error"
    assert "(boucle-broken-plugins 0.1) cannot be imported" in rows["ghost"]["detail"]
    assert "ModuleNotFoundError" in rows["ghost"]["detail"]
    assert rows["wrong_attr"]["status"] == "load error"
    assert rows["crashy"]["status"] == "failed"
    assert "check_data_check (raises)" in rows["crashy"]["detail"]
    assert "raised KeyError" in rows["crashy"]["detail"]
    assert rows["needs_url"]["status"] == "not checked"
    assert "needs options" in rows["needs_url"]["detail"]
    bad_kind = boucle_cli("plugins", "list", "--kind", "widget", env=_path(site))
    assert bad_kind.returncode == 2 and "unknown plug-in kind 'widget'" in bad_kind.stderr


@pytest.mark.slow
def test_a_run_with_plugins_in_every_place(
    boucle_cli: BoucleCli, tmp_path: Path, site: Path, german_path: Path
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "boucle.yaml").write_text(
        f"""\
project: german-plugins
task: classification
data:
  source: {german_path}
  target: creditability
  positive_class: bad
  sensitive: [foreign_worker]
  checks:
    custom:
      - {{name: no_negative, options: {{columns: [duration_in_month, age_in_years]}}}}
split: {{test_size: 0.3, seed: 7}}
train:
  model: demo_logistic
  search: {{trials: 2}}
explain: {{enabled: false}}
gates:
  custom: [min_rows]
alerts:
  sinks:
    file: {{type: jsonl, options: {{path: alerts.jsonl}}}}
"""
    )
    env = _path(site)
    run = boucle_cli("run", cwd=project, env=env)
    assert run.returncode == 0, run.stderr
    assert "demo_logistic (2 trials)" in run.stdout
    assert "german-plugins v1" in run.stdout
    (validation,) = (project / ".boucle" / "validation").glob("*.json")
    checked = [
        r for r in json.loads(validation.read_text())["results"] if r["name"] == "no_negative"
    ]
    assert [(r["column"], r["passed"]) for r in checked] == [
        ("duration_in_month", True), ("age_in_years", True),
    ]  # fmt: skip
    runs = json.loads(boucle_cli("runs", "--json", cwd=project, env=env).stdout)
    assert runs[-1]["steps"]["export"] == "done"  # the plug-in's ONNX converter was used
    gate = boucle_cli("gate", "--json", cwd=project, env=env)
    assert gate.returncode == 0, gate.stderr
    checks = {c["name"]: c for c in json.loads(gate.stdout)["checks"]}
    assert checks["min_rows"]["status"] == "passed" and checks["min_rows"]["value"] == 300
    sent = boucle_cli("alerts", "test", "file", cwd=project, env=env)
    assert sent.returncode == 0, sent.stderr
    assert json.loads((project / "alerts.jsonl").read_text())["rule"] == "(test)"
    # The plug-ins' code is in the cache keys of the steps that run it (the model: train; the
    # custom check: validate): unchanged, they are cached; an edit to their module (same
    # distribution version) re-runs them.
    assert boucle_cli("run", cwd=project, env=env).returncode == 0
    steps = json.loads(boucle_cli("runs", "--json", cwd=project, env=env).stdout)[-1]["steps"]
    assert steps["train"] == "cached" and steps["validate"] == "cached"
    module = site / "demo_plugins.py"
    module.write_text(module.read_text() + "\n# edited: the model's code changed\n")
    assert boucle_cli("run", cwd=project, env=env).returncode == 0
    last = json.loads(boucle_cli("runs", "--json", cwd=project, env=env).stdout)[-1]
    assert last["steps"]["train"] == "done" and last["steps"]["validate"] == "done"
    assert last["steps"]["snapshot"] == "cached"
    # Without the distribution, the same project says what is missing and how to fix it.
    gone = boucle_cli("run", cwd=project)
    assert gone.returncode == 2
    assert "unknown model 'demo_logistic' in train.model" in gone.stderr
    assert "boucle.models" in gone.stderr
