"""Governance end to end through the real CLI: classify, run, promote, approve, document, tamper.

German credit as a high-risk credit-scoring use case (Annex III 5(b), ledger on SQLite): the
promotion is refused until the fairness gate, the explanation and two approvals exist, then
succeeds; the Annex IV document lists the real held-out metrics and the ledger head; editing
one ledger row breaks `boucle audit verify` at that index, the exported bundle's offline check
and any new document. Adult with a minimal-risk purpose (ledger on PostgreSQL): fewer items.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

pytestmark = pytest.mark.slow
BoucleCli = Callable[..., subprocess.CompletedProcess[str]]

EVIDENCE_SIZES = """\
explain: {sample_rows: 100, background_rows: 20, curve_features: 1, ice_rows: 20, examples: 1}
robustness: {sample_rows: 200}
"""
CREDIT = """\
project: credit
task: classification
data: {source: german.csv, target: creditability, positive_class: bad,
       sensitive: [personal_status_and_sex]}
train: {model: logistic_regression, search: {trials: 0}}
export: {enabled: false}
fairness: {max_eo_difference: 0.2}
use_case:
  purpose: Score the creditworthiness of consumer-loan applicants
  domain: essential_services
  decisions: [creditworthiness]
  users: [credit analysts]
  affected_persons: [loan applicants]
  profiling: true
  human_oversight: An analyst reviews every refusal before it is sent.
  data_categories: [financial, demographic]
governance:
  roles: {risk-officer: [alice], model-owner: [bob, alice]}
  monitoring_plan: monitoring.md
"""
CENSUS = """\
project: census
task: classification
data: {source: adult.csv, target: income, positive_class: '>50K', sensitive: [sex]}
train: {model: logistic_regression, search: {trials: 0}}
export: {enabled: false}
use_case:
  purpose: Estimate income brackets of anonymised census records for aggregate statistics
  domain: other
  users: [statisticians]
  data_categories: [demographic]
"""
NO_EVIDENCE = {"BOUCLE_EXPLAIN__ENABLED": "false", "BOUCLE_FAIRNESS__ENABLED": "false"}


def _ok(done: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def _head(cli: BoucleCli) -> tuple[str, int]:
    """The head hash and event count `boucle audit verify` prints."""
    done = _ok(cli("audit", "verify"))
    found = re.search(r"(\d+) events, chain intact \(head ([0-9a-f]{64})\)", done.stdout)
    assert found, done.stdout
    return found.group(2), int(found.group(1))


def _run_metrics(cli: BoucleCli) -> dict[str, float]:
    """The held-out metrics of the first run, as `boucle show` prints them."""
    first = json.loads(_ok(cli("runs", "--json")).stdout)[0]
    manifest = json.loads(_ok(cli("show", first["run_id"])).stdout)
    metrics: dict[str, float] = manifest["steps"]["evaluate"]["manifest"]["metrics"]
    return metrics


def _annex(cli: BoucleCli, tmp_path: Path, version: str) -> tuple[dict[str, Any], str]:
    done = _ok(cli("docs", "annex-iv", version, "--out", "docs", "--no-pdf", "--json"))
    written = json.loads(done.stdout)
    html = (tmp_path / "docs" / f"{written['model']}-v{version}-annex-iv.html").read_text()
    return written, html


def _assert_tamper_is_caught(cli: BoucleCli, tmp_path: Path, index: int) -> None:
    broken = cli("audit", "verify")
    assert broken.returncode == 1 and f"broken at event {index}" in broken.stderr
    exported = cli("audit", "export", "--out", "bundle.zip")
    assert exported.returncode == 1 and (tmp_path / "bundle.zip").is_file()
    offline = cli("audit", "verify", "--bundle", "bundle.zip")
    assert offline.returncode == 1 and f"event {index}" in offline.stderr
    refused = cli("docs", "annex-iv", "--no-pdf")
    assert refused.returncode == 2
    assert f"ledger is broken at event {index}" in refused.stderr, refused.stderr


def test_high_risk_credit_scoring_from_classification_to_tampering(
    boucle_cli: BoucleCli, tmp_path: Path, german_path: Path
) -> None:
    (tmp_path / "german.csv").write_bytes(german_path.read_bytes())
    (tmp_path / "boucle.yaml").write_text(CREDIT + EVIDENCE_SIZES)
    (tmp_path / "monitoring.md").write_text("# Post-market monitoring plan\n")

    classified = _ok(boucle_cli("classify"))
    assert "high-risk" in classified.stdout and "Annex III 5(b)" in classified.stdout

    # Trained without explanation nor fairness check: the promotion is refused.
    _ok(boucle_cli("run", env=NO_EVIDENCE))
    refused = boucle_cli("promote", "1", "--json")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    missing = json.loads(refused.stdout)["missing"]
    assert missing == [
        "explanation", "fairness_gate", "approval:risk-officer", "approval:model-owner"
    ]  # fmt: skip

    # The same model (train is cached, same lineage) gets its evidence, then two approvals.
    _ok(boucle_cli("run"))
    runs = json.loads(_ok(boucle_cli("runs", "--json")).stdout)
    assert len(runs) == 2 and runs[0]["lineage_id"] == runs[1]["lineage_id"]
    assert runs[-1]["steps"]["explain"] == "done" and runs[-1]["steps"]["fairness"] == "done"
    assert runs[-1]["steps"]["register"] == "cached"
    still = json.loads(boucle_cli("promote", "1", "--json").stdout)
    assert still["missing"] == ["approval:risk-officer", "approval:model-owner"]
    _ok(boucle_cli("approve", "1", "--role", "risk-officer", "--by", "alice", "--comment", "ok"))
    _ok(boucle_cli("approve", "1", "--role", "model-owner", "--by", "bob"))
    promoted = json.loads(_ok(boucle_cli("promote", "1", "--json")).stdout)
    assert promoted["promoted"] and promoted["missing"] == []

    # Annex IV: the real held-out metrics (as `boucle show` has them) and the ledger head.
    metrics = _run_metrics(boucle_cli)
    head, count = _head(boucle_cli)
    written, html = _annex(boucle_cli, tmp_path, "1")
    assert written["ledger_head"] == head and written["ledger_events"] == count
    assert f"built from ledger head {head} ({count} events)" in html
    for name, value in metrics.items():
        assert f"<td>{name}</td>" in html and f"<td>{value!r}</td>" in html, name
    for text in ("Annex III 5(b)", "10 mandatory item(s)", "9. Post-market monitoring",
                 "monitoring.md (blake3 ", "alice", "bob"):  # fmt: skip
        assert text in html, text
    card = _ok(boucle_cli("docs", "model-card", "1", "--out", "docs", "--json"))
    card_head = json.loads(card.stdout)["ledger_head"]
    markdown = (tmp_path / "docs" / "credit-v1-model-card.md").read_text()
    assert f"built from ledger head {card_head}" in markdown
    assert "| roc\\_auc | " not in markdown and "| roc_auc | " in markdown

    # An insider rewrites the fairness verdict in the SQLite file.
    with sqlite3.connect(tmp_path / ".boucle" / "ledger.db") as db:
        index, payload = db.execute(
            "SELECT idx, payload FROM boucle_ledger_events WHERE kind = 'fairness_checked'"
        ).fetchone()
        db.execute(
            "UPDATE boucle_ledger_events SET payload = ? WHERE idx = ?",
            (payload.replace('"passed":true', '"passed":false'), index),
        )
    db.close()
    _assert_tamper_is_caught(boucle_cli, tmp_path, index)


@pytest.mark.postgres
def test_minimal_risk_census_needs_fewer_items(
    boucle_cli: BoucleCli, tmp_path: Path, adult: pd.DataFrame, postgres_url: str
) -> None:
    adult.sample(2000, random_state=0).to_csv(tmp_path / "adult.csv", index=False)
    (tmp_path / "boucle.yaml").write_text(
        CENSUS + EVIDENCE_SIZES + f"stores: {{ledger: '{postgres_url}'}}\n"
    )
    _ok(boucle_cli("run"))
    unclassified = boucle_cli("promote", "1", "--json")
    assert unclassified.returncode == 1 and json.loads(unclassified.stdout)["missing"] == [
        "classified"
    ]
    assert "minimal risk" in _ok(boucle_cli("classify")).stdout
    promoted = json.loads(_ok(boucle_cli("promote", "1", "--json")).stdout)
    assert promoted["promoted"] and promoted["risk_class"] == "minimal"
    assert [item["name"] for item in promoted["items"]] == ["classified", "data_gate"]

    metrics = _run_metrics(boucle_cli)
    head, count = _head(boucle_cli)
    _, html = _annex(boucle_cli, tmp_path, "1")
    assert f"built from ledger head {head} ({count} events)" in html
    for name, value in metrics.items():
        assert f"<td>{value!r}</td>" in html, name
    assert "2 mandatory item(s) for a minimal risk system" in html
    assert "mandatory for high-risk systems only" in html

    # The same tampering on PostgreSQL: the data gate's verdict is edited in place.
    from sqlalchemy import create_engine, text

    engine = create_engine(postgres_url)
    try:
        with engine.begin() as conn:
            index, payload = conn.execute(
                text(
                    "SELECT idx, payload FROM boucle_ledger_events "
                    "WHERE kind = 'data_validated' ORDER BY idx LIMIT 1"
                )
            ).one()
            conn.execute(
                text("UPDATE boucle_ledger_events SET payload = :p WHERE idx = :i"),
                {"p": payload.replace('"errors":0', '"errors":1'), "i": index},
            )
    finally:
        engine.dispose()
    _assert_tamper_is_caught(boucle_cli, tmp_path, index)
