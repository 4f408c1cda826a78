"""End-to-end: `boucle run` twice, `boucle gate`, `promote`, `rollback`, `history` (CLI)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from boucle.ledger import Ledger

pytestmark = pytest.mark.slow
BoucleCli = Callable[..., subprocess.CompletedProcess[str]]


def _ok(done: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def test_gate_promote_rollback_history(
    boucle_cli: BoucleCli, tmp_path: Path, german_sample: Path
) -> None:
    project = (
        "project: credit\ntask: classification\n"
        "data: {source: german.csv, target: creditability, positive_class: bad}\n"
        "train: {model: logistic_regression, search: {trials: 0}}\nexport: {enabled: false}\n"
    )
    (tmp_path / "boucle.yaml").write_text(project + "gates: {min_improvement: -1.0}\n")
    # No use_case: the high-risk policy, reduced here to the data gate (+ the champion gate).
    (tmp_path / "policies.yaml").write_text("high: {require: [data_gate], approvals: []}\n")
    _ok(boucle_cli("run"))  # v1, champion (the first version)
    _ok(boucle_cli("run", env={"BOUCLE_SPLIT__SEED": "3"}))  # v2, challenger

    refused = boucle_cli("promote")  # the challenger by default
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "no gate_evaluated of v2 against champion v1" in refused.stdout
    assert "boucle gate 2" in refused.stdout and "refused" in refused.stderr

    failed_gate = boucle_cli("gate")  # v2 was never exported: the parity check fails
    assert failed_gate.returncode == 1 and "FAILED (failed: parity)" in failed_gate.stdout
    failed = boucle_cli("promote", "2")
    assert failed.returncode == 1 and "failed against v1" in failed.stdout

    lenient = "gates: {min_improvement: -1.0, require_parity: false}\n"
    (tmp_path / "boucle.yaml").write_text(project + lenient)
    gate = _ok(boucle_cli("gate"))
    assert "PASSED" in gate.stdout
    promoted = json.loads(_ok(boucle_cli("promote", "--version", "2", "--json")).stdout)
    assert promoted["promoted"] and promoted["previous_champion"] == 1
    assert promoted["gate"]["passed"] and promoted["gate"]["champion_version"] == 1
    assert {c["name"] for c in promoted["gate"]["checks"]} >= {"beats_champion"}

    back = _ok(boucle_cli("rollback", "--reason", "complaints", "--by", "ops"))
    assert "rolled back credit@champion: v2 → v1" in back.stdout
    nothing = boucle_cli("rollback")
    assert nothing.returncode == 2 and "no previous holder" in nothing.stderr

    # The gate of v2 against v1 predates the rollback: only --force (with a reason) passes.
    again = boucle_cli("promote", "2", "--json")
    assert again.returncode == 1
    (gate_item,) = [i for i in json.loads(again.stdout)["items"] if i["name"] == "champion_gate"]
    assert "predates the last change of the champion" in gate_item["detail"]
    unexplained = boucle_cli("promote", "2", "--force")
    assert unexplained.returncode == 2 and "--force needs a reason" in unexplained.stderr
    forced = _ok(boucle_cli("promote", "2", "--force", "--reason", "re-release", "--by", "ops"))
    assert "forced: skipped champion_gate (reason: re-release)" in forced.stdout
    both = boucle_cli("promote", "2", "--version", "1")
    assert both.returncode == 2 and "two versions given" in both.stderr

    history = json.loads(_ok(boucle_cli("history", "--json")).stdout)
    assert [(h["action"], h["version"], h["previous"]) for h in history] == [
        ("alias_set", 1, None),
        ("refused", 2, None),
        ("refused", 2, None),
        ("promoted", 2, 1),
        ("rolled_back", 1, 2),
        ("refused", 2, None),
        ("promoted", 2, 1),
    ]
    assert history[2]["gate"]["passed"] is False  # the refusal shows the failed gate
    assert history[3]["gate"]["event"] == promoted["gate"]["event"]
    assert history[4]["actor"] == "ops" and history[4]["reason"] == "complaints"
    assert history[-1]["forced"] and history[-1]["items"] == ["champion_gate"]
    table = _ok(boucle_cli("history")).stdout
    assert "FORCED" in table and "re-release" in table and "champion v1 (was v2)" in table
    with Ledger(f"sqlite:///{tmp_path / '.boucle' / 'ledger.db'}") as ledger:
        assert ledger.verify().ok
