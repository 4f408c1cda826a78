"""A fair challenger is served and batch-scored on the flagged Python path, as its evidence counts.

End to end on the real CLI, a real MLflow registry and a real ``boucle serve`` (uvicorn on
127.0.0.1): a biased hiring table (the group drives the label), a minimal-risk use case,
ONNX export on and ``fairness.mitigation: threshold_optimizer``. v1 is the loop's model (ONNX);
v2 is the ``challenger-fair`` version of the mitigate step, whose per-group thresholds have no
ONNX form. The run records that block as the export step does for a feature function;
``boucle export challenger-fair`` refuses it; ``boucle gate challenger-fair`` loads its own
model (by the digest its mitigate step recorded) and scores its own decisions, so it fails
against v1 on the numbers its evidence shows (it trades ROC AUC for parity) and promotion with
the champion gate on is refused for that reason; once promoted, the server and ``boucle predict``
(local and Dask) answer with the labels of ``GroupThresholdClassifier.predict`` (the per-row
draw its fairness numbers counted) and the probabilities of its ``predict_proba``, for the
model read from the store; ``serve.python_fallback: refuse`` refuses it, naming why.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from testkit import boucle_serve, free_port, hiring_table

pytestmark = pytest.mark.slow
BoucleCli = Callable[..., subprocess.CompletedProcess[str]]
BLOCKED_BY = "per-group decision thresholds (fairness mitigation)"

HIRING = """\
project: hiring
task: classification
data:
  source: hiring.csv
  target: hired
  positive_class: "yes"
  sensitive: [group]
  checks: {schema: {path: null}, representation: {min_count: 25}}
train: {model: logistic_regression, search: {trials: 0}}
explain: {enabled: false}
robustness: {enabled: false}
fairness: {intersections: false, mitigation: threshold_optimizer}
use_case:
  purpose: Suggest workshop topics from anonymised training-survey answers
  domain: other
  users: [trainers]
"""
# The fair challenger legitimately fails the champion gate against v1 (its ROC AUC is far
# lower, and it has no ONNX parity); serving it as champion needs the policy to leave the gate
# out, which the promotion test writes once it has seen the gate refuse it.
POLICIES = "minimal: {gate_against_champion: false}\n"
#: gates.metrics of the gate test: every held-out metric the fair challenger's evidence has.
GATE_METRICS = ("accuracy", "precision", "recall", "f1", "roc_auc", "pr_auc")


def _ok(done: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert done.returncode == 0, done.stdout + done.stderr
    return done


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hiring project, run once (v1: the loop's model, v2: challenger-fair), classified."""
    root = tmp_path_factory.mktemp("fair-serving")
    hiring_table(1500, 7).to_csv(root / "hiring.csv", index=False)
    (root / "boucle.yaml").write_text(HIRING)
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    for args in (("run",), ("classify",)):
        command = [sys.executable, "-m", "boucle", *args]
        _ok(subprocess.run(command, cwd=root, env=env, capture_output=True, text=True))
    return root


def _fresh_rows(project: Path) -> pd.DataFrame:
    """New applicants (not training rows), as a CSV file gives them back."""
    path = project / "applicants.csv"
    hiring_table(400, 99).drop(columns=["hired"]).to_csv(path, index=False)
    return pd.read_csv(path)


def _fair_model(project: Path) -> tuple[Any, list[str]]:
    """v2's GroupThresholdClassifier read from the store by its registry digest, and the labels."""
    import skops.io

    from boucle.config import load_config
    from boucle.registry import resolve_version
    from boucle.store import ArtifactStore

    config = load_config(project / "boucle.yaml", env={})
    info = resolve_version(config.stores.tracking or "", "hiring", "challenger-fair")
    data = ArtifactStore(config.stores.root).get_bytes(info.tags["boucle.model_digest"])
    model = skops.io.loads(data, trusted=skops.io.get_untrusted_types(data=data))
    return model, ["no", "yes"]  # class codes 0, 1 (positive_class: yes)


def _events(boucle_cli: BoucleCli, project: Path, kind: str) -> list[dict[str, Any]]:
    log = _ok(boucle_cli("audit", "log", "--kind", kind, "--json", cwd=project))
    return [e["payload"] for e in json.loads(log.stdout)]


def _run_steps(project: Path) -> dict[str, Any]:
    """The step manifests of the run that registered v1 and v2 (read from the store)."""
    from boucle.config import load_config
    from boucle.registry import resolve_version
    from boucle.runner.session import run_manifest_path
    from boucle.store import ArtifactStore

    config = load_config(project / "boucle.yaml", env={})
    info = resolve_version(config.stores.tracking or "", "hiring", "challenger-fair")
    path = run_manifest_path(info.boucle_run_id)
    manifest = json.loads(ArtifactStore(config.stores.root).read_bytes(path))
    return {name: step["manifest"] for name, step in manifest["steps"].items()}


def _gate(boucle_cli: BoucleCli, project: Path, *args: str) -> dict[str, Any]:
    """``boucle gate challenger-fair ARGS --json``: the decision (exit 1: it fails)."""
    done = boucle_cli("gate", "challenger-fair", *args, "--json", cwd=project)
    assert done.returncode in (0, 1), done.stdout + done.stderr
    decision: dict[str, Any] = json.loads(done.stdout)
    assert decision["passed"] is (done.returncode == 0)
    return decision


def test_the_run_records_the_block_and_export_refuses_it(
    boucle_cli: BoucleCli, project: Path
) -> None:
    (blocked,) = _events(boucle_cli, project, "model_export_blocked")
    assert blocked["model"] == "hiring" and blocked["version"] == "2"
    assert blocked["blocked_by"] == [BLOCKED_BY] and blocked["runtime"] == "python"
    (exported,) = _events(boucle_cli, project, "model_exported")  # v1 has its ONNX
    assert exported["version"] == "1"

    from mlflow import MlflowClient

    from boucle.config import load_config

    config = load_config(project / "boucle.yaml", env={})
    tags = MlflowClient(tracking_uri=config.stores.tracking).get_model_version("hiring", "2").tags
    assert tags["boucle.runtime"] == "python" and tags["boucle.onnx_blocked_by"] == BLOCKED_BY
    assert "boucle.onnx_digest" not in tags

    refused = boucle_cli("export", "challenger-fair", cwd=project)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "fair challenger" in refused.stderr and BLOCKED_BY in refused.stderr
    assert "boucle export 1" in refused.stderr  # the base's scores have an ONNX form
    assert len(_events(boucle_cli, project, "model_exported")) == 1  # nothing exported


def test_the_checklist_reads_blocked_and_names_the_fair_fixes(project: Path) -> None:
    from boucle.config import load_config
    from boucle.governance.checklist import build_checklist
    from boucle.governance.evidence import collect_evidence, resolve_version_ref
    from boucle.governance.policies import Policy
    from boucle.ledger import Ledger

    config = load_config(project / "boucle.yaml", env={})
    policy = Policy(require=["fairness_gate", "onnx_parity", "serving_skew"])
    ref = resolve_version_ref(config, "challenger-fair")
    with Ledger(config.stores.ledger or "") as ledger:
        evidence = collect_evidence(ledger, ref)
    items = {
        item.name: item
        for item in build_checklist(
            config=config, policy=policy, classification=None, evidence=evidence, roles=[]
        )
    }
    for name in ("onnx_parity", "serving_skew"):
        assert not items[name].passed
        assert items[name].detail.startswith("blocked: no ONNX form (#"), items[name].detail
        assert BLOCKED_BY in items[name].detail
        assert "Not applicable to v2" in items[name].fix
    fairness = items["fairness_gate"]  # equalized odds still fails at the default thresholds
    assert not fairness.passed and "mitigation of v1" in fairness.fix
    assert "fairness.mitigation_constraint" in fairness.fix
    assert "Run the fairness step" not in fairness.fix


def test_its_documents_say_the_base_model_is_wrapped_by_thresholds(project: Path) -> None:
    from boucle.config import load_config
    from boucle.governance.documents import gather_version_facts, model_card_content
    from boucle.reports import Table

    config = load_config(project / "boucle.yaml", env={})
    card = model_card_content(gather_version_facts(config, "challenger-fair"))
    (versions,) = [s for s in card.sections if s.title == "Versions"]
    rows = {row[0]: row[1] for b in versions.blocks if isinstance(b, Table) for row in b.rows}
    rule = str(rows["decision rule"])
    assert "the base model v1 wrapped by per-group decision thresholds on 'group'" in rule
    assert "demographic_parity" in rule and "are the base estimator's" in rule
    assert rows["model family"] == "logistic_regression"
    base = model_card_content(gather_version_facts(config, "1"))
    (base_versions,) = [s for s in base.sections if s.title == "Versions"]
    assert not any(
        row[0] == "decision rule"
        for b in base_versions.blocks
        if isinstance(b, Table)
        for row in b.rows
    )


def test_boucle_gate_scores_the_fair_challenger_on_its_own_decisions(
    boucle_cli: BoucleCli, project: Path
) -> None:
    config = project / "boucle.yaml"
    original = config.read_text()
    thresholds = ", ".join(f"{name}: 0.5" for name in GATE_METRICS)
    config.write_text(original + f"gates: {{metrics: {{{thresholds}}}}}\n")
    try:  # against v1 by number: the promotion test may have made v2 champion already
        decision = _gate(boucle_cli, project, "--against", "1")
    finally:
        config.write_text(original)
    steps = _run_steps(project)
    fair, base = steps["mitigate"]["metrics"], steps["evaluate"]["metrics"]
    assert (decision["challenger_version"], decision["champion_version"]) == (2, 1)
    checks = {check["name"]: check for check in decision["checks"]}
    # Its own model's numbers, the ones its mitigate step measured on the same held-out rows:
    # accuracy, precision, recall and F1 of its decisions (the per-row draw), ROC and PR AUC
    # of its predict_proba. An argmax of predict_proba gets other decision metrics here.
    for name in GATE_METRICS:
        assert checks[f"metric:{name}"]["value"] == pytest.approx(fair[name], rel=1e-12), name
    assert fair["roc_auc"] < base["roc_auc"] - 0.2  # it trades ROC AUC for parity
    beats = checks["beats_champion"]
    assert beats["numbers"]["challenger"] == pytest.approx(fair["roc_auc"], rel=1e-12)
    assert beats["numbers"]["champion"] == pytest.approx(base["roc_auc"], rel=1e-12)
    assert beats["status"] == "failed" and beats["numbers"]["ci_high"] < 0
    parity = checks["parity"]
    assert parity["status"] == "failed" and BLOCKED_BY in parity["detail"]
    assert checks["data_checks"]["status"] == "passed"
    assert decision["passed"] is False
    recorded = _events(boucle_cli, project, "gate_evaluated")
    assert any(
        event["challenger_version"] == 2 and event["checks"] == decision["checks"]
        for event in recorded
    )


def test_a_tampered_digest_tag_is_refused_for_the_fair_and_the_base_version(
    project: Path,
) -> None:
    from dataclasses import replace

    from boucle.config import load_config
    from boucle.errors import IntegrityError
    from boucle.ledger import Ledger
    from boucle.registry import resolve_version
    from boucle.registry.gates_run import load_candidate
    from boucle.store import ArtifactStore

    config = load_config(project / "boucle.yaml", env={})
    store = ArtifactStore(config.stores.root)
    tracking = config.stores.tracking or ""
    fair = resolve_version(tracking, "hiring", "challenger-fair")
    base = resolve_version(tracking, "hiring", "1")
    fair_digest = fair.tags["boucle.model_digest"]
    base_digest = base.tags["boucle.model_digest"]
    assert fair_digest == _run_steps(project)["mitigate"]["model_digest"] != base_digest
    with Ledger(config.stores.ledger or "") as ledger:
        loaded = load_candidate(config, store, ledger, fair)
        assert type(loaded.pipeline).__name__ == "GroupThresholdClassifier"
        assert load_candidate(config, store, ledger, base).pipeline is not None
        swapped = {
            "mitigate": replace(fair, tags={**fair.tags, "boucle.model_digest": base_digest}),
            "train": replace(base, tags={**base.tags, "boucle.model_digest": fair_digest}),
        }
        for step, info in swapped.items():
            with pytest.raises(IntegrityError, match="refusing to load it") as raised:
                load_candidate(config, store, ledger, info)
            assert f"tagged with model digest {info.tags['boucle.model_digest'][:16]}" in str(
                raised.value
            )
            assert f"its run's {step} step stored" in str(raised.value)


def test_a_promoted_fair_challenger_is_served_with_its_own_decisions(
    boucle_cli: BoucleCli, project: Path
) -> None:
    # With the champion gate on (the policy's default), the gate it fails refuses it.
    failed = _gate(boucle_cli, project)
    assert failed["champion_version"] == 1
    assert {c["name"] for c in failed["checks"] if not c["passed"]} == {
        "beats_champion", "slices", "parity",
    }  # fmt: skip
    refused = boucle_cli("promote", "challenger-fair", "--json", cwd=project)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert json.loads(refused.stdout)["missing"] == ["champion_gate"]
    assert "failed against v1" in refused.stdout and "beats_champion" in refused.stdout
    (project / "policies.yaml").write_text(POLICIES)
    promoted = json.loads(
        _ok(boucle_cli("promote", "challenger-fair", "--json", cwd=project)).stdout
    )
    assert promoted["promoted"] and promoted["risk_class"] == "minimal"

    rows = _fresh_rows(project)
    model, classes = _fair_model(project)
    expected = [classes[code] for code in model.predict(rows)]
    rates = model.predict_proba(rows)[:, 1]
    drawn = (rates > 0) & (rates < 1)
    # The rows where the decision is the per-row draw, which differs from the most probable
    # class for some of them: what an argmax of predict_proba would have got wrong.
    assert drawn.sum() >= 5
    argmax = [classes[int(rate > 0.5)] for rate in rates]
    assert any(label != best for label, best in zip(expected, argmax, strict=True))

    with boucle_serve(project) as (_, client):
        ready = client.get("/readyz").json()
        assert ready["models"]["champion"]["runtime"] == "python"
        records = json.loads(rows.to_json(orient="records"))
        answer = client.post("/predict", json=records)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        explain = client.post("/explain", json=records[0])
    assert body["model"] == {
        "alias": "champion", "name": "hiring", "version": "2", "runtime": "python",
    }  # fmt: skip
    assert body["predictions"] == expected
    served = [row["yes"] for row in body["probabilities"]]
    np.testing.assert_allclose(served, rates, rtol=0, atol=1e-6)
    # Its explanation is its base's, cited in its documents: /explain has no SHAP of its own.
    assert explain.status_code == 503, explain.text
    assert "version 2 (alias 'champion') is a fair challenger" in explain.text

    for engine in ([], ["--dask", "--workers", "2"]):
        out = project / f"scores{len(engine)}.parquet"
        args = ("predict", "--input", str(project / "applicants.csv"), "--output", str(out))
        _ok(boucle_cli(*args, *engine, cwd=project))
        import pyarrow.parquet as pq

        table = pq.read_table(out)
        assert table.schema.metadata[b"boucle.runtime"] == b"python"
        assert table.schema.metadata[b"boucle.model_version"] == b"2"
        scores = table.to_pandas().sort_values("row_number")
        assert scores["prediction"].tolist() == expected
        np.testing.assert_allclose(scores["proba_yes"], rates, rtol=0, atol=1e-12)


def test_python_fallback_refuse_refuses_the_fair_challenger(
    boucle_cli: BoucleCli, project: Path
) -> None:
    config = project / "boucle.yaml"
    original = config.read_text()
    routes = "routes: [{alias: challenger-fair, weight: 1.0}]"
    config.write_text(original + f"serve: {{python_fallback: refuse, {routes}}}\n")
    try:
        done = subprocess.run(
            [sys.executable, "-m", "boucle", "serve", "--port", str(free_port())],
            cwd=project,
            env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"},
            capture_output=True,
            text=True,
            timeout=300,
        )
        args = ("--input", str(project / "hiring.csv"), "--model", "challenger-fair")
        batch = boucle_cli("predict", *args, cwd=project)
    finally:
        config.write_text(original)
    for refused in (done, batch):
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert "python_fallback is 'refuse'" in refused.stderr
        assert "fair challenger" in refused.stderr and BLOCKED_BY in refused.stderr


def test_an_ab_route_loads_the_onnx_base_and_the_python_fair_challenger(project: Path) -> None:
    from boucle.config import load_config
    from boucle.serve import RouteWeight
    from boucle.serving import build_serve_config, load_served_models

    config = load_config(project / "boucle.yaml", env={})
    routes = [RouteWeight(alias=alias, weight=0.5) for alias in ("challenger", "challenger-fair")]
    serve = build_serve_config(config).model_copy(update={"routes": routes})
    base, fair = load_served_models(config, serve)
    assert (base.version, base.runtime, base.native_bytes) == ("1", "onnx", None)
    assert (fair.version, fair.runtime, fair.native_format, fair.labels_from) == (
        "2", "python", "skops", "predict",
    )  # fmt: skip
    assert fair.model_digest is None  # POST /explain reads joblib pipelines only
