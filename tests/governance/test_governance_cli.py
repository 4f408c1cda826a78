"""End-to-end: `boucle classify / approve / promote` on real projects trained by `boucle run`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from governance_texts import CENSUS_USE_CASE, CREDIT_USE_CASE, GOVERNANCE

from boucle.config import load_config
from boucle.governance import approve_version, promote_version
from boucle.ledger import Ledger
from boucle.registry import get_aliases

pytestmark = pytest.mark.slow
BoucleCli = Callable[..., subprocess.CompletedProcess[str]]


def _credit_project(tmp_path: Path, ledger_url: str) -> None:
    (tmp_path / "boucle.yaml").write_text(
        "project: credit\ntask: classification\n"
        "data: {source: german.csv, target: creditability, positive_class: bad}\n"
        "train: {model: logistic_regression, search: {trials: 0}}\n"
        f"export: {{enabled: false}}\nstores: {{ledger: '{ledger_url}'}}\n"
        # The evidence steps are off: this test appends their events itself, to show that
        # evidence arriving after an approval makes it stale (tests/test_governance_e2e.py
        # runs them for real).
        "explain: {enabled: false}\nfairness: {enabled: false}\nrobustness: {enabled: false}\n"
        + CREDIT_USE_CASE
        + GOVERNANCE
    )
    (tmp_path / "monitoring.md").write_text("# Post-market monitoring plan\n")
    # The champion gate has its own tests (test_promotion_gate.py); here v2 (another split of
    # the same model) need not beat v1.
    (tmp_path / "policies.yaml").write_text("high: {gate_against_champion: false}\n")


def _ok(done: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def _events(url: str, kind: str) -> list[dict[str, Any]]:
    with Ledger(url) as ledger:
        return [e.payload for e in ledger.events(kind=kind)]


@pytest.mark.postgres
def test_high_risk_credit_promotion_is_refused_until_evidence_and_approvals(
    boucle_cli: BoucleCli, tmp_path: Path, german_sample: Path, postgres_url: str
) -> None:
    # The ledger on PostgreSQL here; the census test below and the engine tests cover SQLite.
    gov_ledger_url = postgres_url
    _credit_project(tmp_path, gov_ledger_url)
    tracking = f"sqlite:///{tmp_path / '.boucle' / 'mlflow.db'}"
    _ok(boucle_cli("run"))
    # A second training (another split) registers v2 as challenger; v1 stays champion.
    _ok(boucle_cli("run", env={"BOUCLE_SPLIT__SEED": "3"}))
    runs = json.loads(_ok(boucle_cli("runs", "--json")).stdout)
    assert [r["model_version"] for r in runs] == ["1", "2"]
    lineage = runs[-1]["lineage_id"]

    classified = _ok(boucle_cli("classify"))
    assert "high-risk" in classified.stdout and "Annex III 5(b)" in classified.stdout
    assert "approval by risk-officer" in classified.stdout

    refused = boucle_cli("promote", "challenger")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "refused" in refused.stderr and "✗" in refused.stdout
    missing = _events(gov_ledger_url, "promotion_refused")[-1]["missing"]
    assert missing == [
        "explanation", "fairness_gate", "robustness", "approval:risk-officer",
        "approval:model-owner",
    ]  # fmt: skip
    # The data gate of v2's training data passed in the first run (validate was cached).
    assert "data gate passed" in refused.stdout

    _ok(boucle_cli("approve", "2", "--role", "risk-officer", "--by", "alice", "--comment", "ok"))
    _ok(boucle_cli("approve", "2", "--role", "model-owner", "--by", "bob"))
    with Ledger(gov_ledger_url) as ledger:  # what the explain/fairness/robustness steps append
        top = [{"feature": "duration_in_month", "importance": 0.3}]
        ledger.append(
            "explained",
            {"method": "linear", "top_features": top, "report_digest": "e" * 64},
            lineage_id=lineage,
        )
        ledger.append(
            "fairness_checked",
            {"passed": True, "failures": [], "metrics": {}, "report_digest": "f" * 64},
            lineage_id=lineage,
        )
        ledger.append(
            "robustness_checked",
            {"passed": True, "failures": [], "metrics": {}},
            lineage_id=lineage,
        )
    stale = boucle_cli("promote", "2", "--json")
    assert stale.returncode == 1
    check = json.loads(stale.stdout)
    assert check["missing"] == ["approval:risk-officer", "approval:model-owner"]
    assert all("stale" in item["detail"] for item in check["items"] if not item["passed"])

    # Approve the new evidence (the same function `boucle approve` calls, in-process).
    cfg = load_config(tmp_path / "boucle.yaml", env={})
    approve_version(cfg, "2", role="risk-officer", by="alice", comment="new evidence read")
    twice = boucle_cli("approve", "2", "--role", "model-owner", "--by", "alice")
    assert twice.returncode == 2 and "one person cannot also approve" in twice.stderr
    approve_version(cfg, "2", role="model-owner", by="bob")
    dry = promote_version(cfg, "2", dry_run=True)
    assert dry.ok and not dry.promoted and dry.previous_champion == 1
    assert get_aliases(tracking, "credit")["champion"] == "1"

    promoted = _ok(boucle_cli("promote", "2"))
    assert "promoted credit v2 to champion (was v1)" in promoted.stdout
    assert get_aliases(tracking, "credit") == {"champion": "2", "challenger": "2"}
    assert _events(gov_ledger_url, "model_promoted")[-1]["previous_champion"] == 1
    assert _events(gov_ledger_url, "alias_set")[-1] == {
        "model": "credit", "alias": "champion", "version": "2",
    }  # fmt: skip
    assert len(_events(gov_ledger_url, "promotion_refused")) == 2  # dry runs write nothing
    with Ledger(gov_ledger_url) as ledger:
        assert ledger.verify().ok


def test_minimal_risk_census_model_needs_fewer_items(
    boucle_cli: BoucleCli, tmp_path: Path, adult: pd.DataFrame, adult_options: dict[str, Any]
) -> None:
    adult.sample(3000, random_state=0).to_csv(tmp_path / "adult.csv", index=False)
    (tmp_path / "boucle.yaml").write_text(
        "project: census\ntask: classification\n"
        "data: {source: adult.csv, target: income, positive_class: '>50K'}\n"
        "train: {model: logistic_regression, search: {trials: 0}}\nexport: {enabled: false}\n"
        + CENSUS_USE_CASE
    )
    _ok(boucle_cli("run"))
    unclassified = boucle_cli("promote", "1")
    assert unclassified.returncode == 1 and "missing classified" in unclassified.stderr
    assert "minimal risk" in _ok(boucle_cli("classify")).stdout
    check = json.loads(_ok(boucle_cli("promote", "1", "--json")).stdout)
    assert check["risk_class"] == "minimal" and check["promoted"]
    assert [item["name"] for item in check["items"]] == ["classified", "data_gate"]


def test_classify_interactive_asks_records_and_writes_the_section(
    boucle_cli: BoucleCli, tmp_path: Path
) -> None:
    (tmp_path / "boucle.yaml").write_text(
        "project: hiring\ntask: classification\ndata: {source: cv.csv, target: hired}\n"
    )
    bare = boucle_cli("classify")
    assert bare.returncode == 2
    assert "has no use_case: section" in bare.stderr and "--interactive" in bare.stderr
    answers = [
        "Rank job applicants for interviews",  # purpose
        "4",  # domain: employment
        "9,1",  # out of range, asked again
        "1",  # Annex III 4(a)
        "",  # no Art. 5 practice
        "",  # no Art. 50 case
        "n",  # not a safety component
        "y",  # profiling
        "recruiters",
        "job applicants",
        "employment history, education",
        "A recruiter reads every CV before any rejection",
        "",  # no transparency notice
        "y",  # append to boucle.yaml
    ]
    done = subprocess.run(
        [sys.executable, "-m", "boucle", "classify", "--interactive"],
        cwd=tmp_path,
        input="\n".join(answers) + "\n",
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "type numbers from 1 to 2" in done.stderr
    assert "Annex III 4(a)" in done.stdout and "high-risk" in done.stdout
    written = (tmp_path / "boucle.yaml").read_text()
    assert "use_case:" in written and "recruitment_selection" in written
    # The section in the file is exactly what was classified: classify agrees, same hash.
    again = json.loads(_ok(boucle_cli("classify", "--json")).stdout)
    with Ledger(f"sqlite:///{tmp_path / '.boucle' / 'ledger.db'}") as ledger:
        recorded = [e.payload for e in ledger.events(kind="use_case_classified")]
    assert len(recorded) == 2 and recorded[0]["use_case_hash"] == again["use_case_hash"]
    assert recorded[0]["triggers"][0]["ref"] == "Annex III 4(a)"
