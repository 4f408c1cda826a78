"""The evidence steps in the loop: reports in the store, ledger events, cache, gates (real stores).

The runs stop before ``register`` (MLflow is not what is tested here) and use German credit
with the logistic regression, on the SQLite and on the PostgreSQL ledger.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from boucle.api import loop_steps
from boucle.config import BoucleConfig, load_config, parse_config
from boucle.errors import StepError
from boucle.ledger import Ledger
from boucle.runner.graph import Step
from boucle.runner.session import run_steps
from boucle.store import ArtifactStore

EVIDENCE = ("explained", "fairness_checked", "robustness_checked")


def _text(german_path: Path, extra: str = "", ledger: str = "") -> str:
    text = f"""\
project: credit
task: classification
data:
  source: {german_path}
  target: creditability
  positive_class: bad
  sensitive: [personal_status_and_sex, foreign_worker]
  checks: {{schema: {{path: null}}, representation: {{min_count: 25}}}}
train: {{model: logistic_regression, search: {{trials: 0}}}}
explain: {{sample_rows: 100, ice_rows: 40, curve_features: 2, grid_points: 5, examples: 2}}
robustness: {{sample_rows: 150}}
{extra}
"""
    if ledger:
        text += f"stores: {{ledger: '{ledger}'}}\n"
    return text


def _config(tmp_path: Path, german_path: Path, extra: str = "", ledger: str = "") -> BoucleConfig:
    text = _text(german_path, extra, ledger)
    return parse_config(text, source=tmp_path / "boucle.yaml", env={})


def _before_register(config: BoucleConfig) -> list[Step]:
    return [
        s
        for s in loop_steps(config)
        if s.name not in ("register", "mitigate", "export", "skew", "reference")
    ]


def _events(config: BoucleConfig, run_id: str) -> dict[str, dict[str, object]]:
    with Ledger(config.stores.ledger or "") as ledger:
        events = ledger.events(run_id=run_id)
    return {e.kind: {"payload": e.payload, "lineage_id": e.lineage_id} for e in events}


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_evidence_is_stored_and_recorded_under_the_lineage_id(
    backend: str, tmp_path: Path, german_path: Path, request: pytest.FixtureRequest
) -> None:
    ledger = request.getfixturevalue("postgres_url") if backend == "postgres" else ""
    config = _config(tmp_path, german_path, ledger=ledger)
    steps = _before_register(config)
    first = run_steps(config, steps)
    assert [first.steps[name].status for name in ("explain", "fairness", "robustness")] == [
        "done", "done", "done",
    ]  # fmt: skip
    events = _events(config, first.run_id)
    store = ArtifactStore(config.stores.root)
    for kind in EVIDENCE:
        assert events[kind]["lineage_id"] == first.lineage_id is not None
    explained = events["explained"]["payload"]
    assert isinstance(explained, dict)
    assert set(explained) == {"method", "top_features", "report_digest"}
    assert explained["method"] == "linear" and len(explained["top_features"]) == 10
    assert set(explained["top_features"][0]) == {"feature", "importance"}
    fairness = events["fairness_checked"]["payload"]
    assert isinstance(fairness, dict)
    assert set(fairness) == {
        "passed", "failures", "measured", "unmeasured_reason", "metrics", "report_digest",
    }  # fmt: skip
    assert fairness["measured"] is True and fairness["unmeasured_reason"] is None
    assert set(fairness["metrics"]) == {
        "personal_status_and_sex", "foreign_worker", "personal_status_and_sex & foreign_worker",
    }  # fmt: skip
    robustness = events["robustness_checked"]["payload"]
    assert isinstance(robustness, dict)
    assert set(robustness) == {"passed", "failures", "metrics"}
    assert robustness["metrics"]["noise_scale"] == 0.1
    for name, kind in (("explain", "explained"), ("fairness", "fairness_checked")):
        manifest = first.steps[name].manifest
        payload = events[kind]["payload"]
        assert isinstance(payload, dict)
        assert manifest["report_digest"] == payload["report_digest"]
        # The JSON report is in the store, hash-verified, and is the one the event summarises.
        report = json.loads(store.get_bytes(manifest["report_digest"]))
        if name == "explain":
            assert report["method"] == payload["method"] == "linear"
            ranked = [item["feature"] for item in report["importance"]]
            assert ranked[:10] == [item["feature"] for item in payload["top_features"]]
            assert report["rows"] == 100 and len(report["examples"]) == 2  # sample_rows, examples
            assert [curve["column"] for curve in report["curves"]] == ranked[:2]  # curve_features
        else:
            assert report["passed"] == payload["passed"]
            assert report["measured"] == payload["measured"]
            assert report["failures"] == payload["failures"]
            assert {a["name"] for a in report["attributes"]} == set(payload["metrics"])
            assert report["min_group_size"] == 25
        page = store.read_bytes(f"reports/{name}.html").decode()
        assert store.get_bytes(manifest["html_digest"]).decode() == page
        assert all(store.exists(digest) for digest in manifest["figures"].values())
    assert first.steps["fairness"].manifest["min_group_size"] == 25  # the data gate's min_count
    assert "summary.svg" in first.steps["explain"].manifest["figures"]

    again = run_steps(config, steps)
    assert {r.status for r in again.steps.values()} == {"cached"}
    assert not set(_events(config, again.run_id)) & set(EVIDENCE)


def test_a_cached_run_does_not_import_shap_or_fairlearn(tmp_path: Path, german_path: Path) -> None:
    (tmp_path / "boucle.yaml").write_text(_text(german_path))
    config = load_config(tmp_path / "boucle.yaml", env={})
    run_steps(config, _before_register(config))
    script = f"""
import sys
from boucle.api import loop_steps
from boucle.config import load_config
from boucle.runner.session import run_steps
config = load_config({str(tmp_path / "boucle.yaml")!r}, env={{}})
after = ("register", "mitigate", "export", "skew", "reference")
steps = [s for s in loop_steps(config) if s.name not in after]
outcome = run_steps(config, steps)
print(sorted({{r.status for r in outcome.steps.values()}}))
print(sorted(m for m in ("shap", "fairlearn", "sklearn") if m in sys.modules))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["['cached']", "[]"]


def test_a_failed_gate_with_on_fail_error_stops_the_run_after_recording(
    tmp_path: Path, german_path: Path
) -> None:
    config = _config(tmp_path, german_path, extra="fairness: {min_dp_ratio: 1.0, on_fail: error}")
    with pytest.raises(StepError) as info:
        run_steps(config, _before_register(config))
    assert info.value.step == "fairness" and info.value.exit_code == 3
    assert "demographic parity ratio" in str(info.value) and "on_fail: warn" in str(info.value)
    with Ledger(config.stores.ledger or "") as ledger:
        kinds = [e.kind for e in ledger.events()]
        recorded = [e.payload for e in ledger.events() if e.kind == "fairness_checked"]
    assert kinds[-2:] == ["step_failed", "run_failed"]
    assert recorded and recorded[0]["passed"] is False
    assert ArtifactStore(config.stores.root).file_exists("reports/fairness.html")


def test_loop_order_and_which_steps_run(tmp_path: Path, german_path: Path) -> None:
    names = [s.name for s in loop_steps(_config(tmp_path, german_path))]
    at = names.index("evaluate")
    assert names[at : at + 5] == ["evaluate", "explain", "fairness", "robustness", "register"]
    extra = "explain: {enabled: false}\nfairness: {enabled: false}\nrobustness: {enabled: false}"
    off = _config(tmp_path, german_path, extra=extra)
    assert not {"explain", "fairness", "robustness"} & {s.name for s in loop_steps(off)}


def test_regression_explains_and_probes_without_fairness(tmp_path: Path, german_path: Path) -> None:
    text = f"""\
project: amounts
task: regression
data:
  source: {german_path}
  target: credit_amount
  checks: {{schema: {{path: null}}}}
train: {{model: lightgbm, search: {{trials: 0}}, params: {{n_estimators: 30}}}}
explain: {{sample_rows: 100, ice_rows: 30, curve_features: 1, grid_points: 5}}
"""
    config = parse_config(text, source=tmp_path / "boucle.yaml", env={})
    steps = _before_register(config)
    assert "fairness" not in [s.name for s in steps]
    outcome = run_steps(config, steps)
    assert outcome.steps["explain"].manifest["method"] == "tree"
    assert outcome.steps["explain"].manifest["output"] == "predicted value"
    assert outcome.steps["robustness"].manifest["metrics"]["membership_gap"] is not None
