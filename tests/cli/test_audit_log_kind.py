"""``boucle audit log --kind``: events of some kinds, combined with --run and --lineage."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from boucle import api
from boucle.config import BoucleConfig, load_config
from boucle.runner.session import open_ledger


@pytest.fixture
def project(tmp_path: Path, german_path: Path) -> BoucleConfig:
    """A project whose ledger holds two runs: run-a (lineage lin-a, model m v1) and run-b."""
    (tmp_path / "boucle.yaml").write_text(
        "project: audit-kinds\ntask: classification\n"
        f"data: {{source: {german_path}, target: creditability, positive_class: bad}}\n"
    )
    config = load_config(tmp_path / "boucle.yaml")
    with open_ledger(config) as ledger:
        ledger.append("run_started", {"command": "run"}, run_id="run-a-1")  # 0
        ledger.append("step_finished", {"step": "train"}, run_id="run-a-1", lineage_id="lin-a")
        ledger.append(
            "model_registered", {"model": "m", "version": "1"}, run_id="run-a-1", lineage_id="lin-a"
        )  # 2
        ledger.append("run_finished", {}, run_id="run-a-1", lineage_id="lin-a")  # 3
        ledger.append("run_started", {"command": "run"}, run_id="run-b-2")  # 4
        ledger.append("step_finished", {"step": "train"}, run_id="run-b-2", lineage_id="lin-b")
        ledger.append("run_finished", {}, run_id="run-b-2", lineage_id="lin-b")  # 6
        ledger.append("approval_recorded", {"model": "m", "version": 1, "role": "risk"})  # 7
    return config


def _indices(done: Any) -> list[int]:
    assert done.returncode == 0, done.stderr
    return [event["index"] for event in json.loads(done.stdout)]


def test_one_kind_or_several(project: BoucleConfig, boucle_cli: Any) -> None:
    assert _indices(boucle_cli("audit", "log", "--kind", "step_finished", "--json")) == [1, 5]
    both = boucle_cli("audit", "log", "--kind", "run_started", "--kind", "run_finished", "--json")
    assert _indices(both) == [0, 3, 4, 6]
    assert both.stderr == ""  # every kind asked for was found: no note
    table = boucle_cli("audit", "log", "--kind", "approval_recorded")
    assert table.returncode == 0, table.stderr
    assert "1 events" in table.stdout and "approval_recorded" in table.stdout
    assert "run_started" not in table.stdout


def test_kinds_combine_with_run_and_lineage(project: BoucleConfig, boucle_cli: Any) -> None:
    assert _indices(
        boucle_cli("audit", "log", "--run", "run-a", "--kind", "run_started", "--json")
    ) == [0]
    # run_started carries no lineage id and the approval no run: both belong to lin-a all the
    # same, because the lineage is collected from all its events before the kinds apply.
    lineage = boucle_cli(
        "audit", "log", "--lineage", "lin-a", "--kind", "run_started",
        "--kind", "approval_recorded", "--json",
    )  # fmt: skip
    assert _indices(lineage) == [0, 7]


def test_a_kind_that_never_occurs_is_no_error_and_names_the_kinds_present(
    project: BoucleConfig, boucle_cli: Any
) -> None:
    done = boucle_cli("audit", "log", "--kind", "fairness_mitigated", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
    note = " ".join(done.stderr.split())
    assert "no event of kind 'fairness_mitigated' in the ledger" in note
    assert (
        "Kinds present: approval_recorded (1), model_registered (1), run_finished (2), "
        "run_started (2), step_finished (2)." in note
    )
    # Found and missing kinds together: the found ones are listed, the missing one noted.
    mixed = boucle_cli(
        "audit", "log", "--lineage", "lin-b", "--kind", "run_started",
        "--kind", "approval_recorded", "--json",
    )  # fmt: skip
    assert _indices(mixed) == [4]
    note = " ".join(mixed.stderr.split())
    assert "no event of kind 'approval_recorded' in lineage lin-b." in note
    assert "Kinds present: run_finished (1), run_started (1), step_finished (1)." in note


def test_the_api_filters_the_same_way(project: BoucleConfig) -> None:
    assert [e.index for e in api.audit_log(project, kinds=["run_started"])] == [0, 4]
    assert [e.index for e in api.audit_log(project, kinds="run_started")] == [0, 4]
    picked = api.audit_log(project, lineage_id="lin-a", kinds=["model_registered", "alias_set"])
    assert [e.index for e in picked] == [2]
    assert [e.index for e in api.audit_log(project, run_id="run-b")] == [4, 5, 6]
    assert api.audit_log(project, kinds=["fairness_mitigated"]) == []
