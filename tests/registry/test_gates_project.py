"""Gates on a real project trained twice on German credit: a weak stump (v1, champion) and a
logistic regression (v2, challenger). The stronger challenger passes, the weaker fails."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from boucle import api
from boucle.config import load_config
from boucle.errors import DataError
from boucle.ledger import Ledger
from boucle.registry.gates import GateCheck, GateContext, GateDecision
from boucle.registry.gates_builtin import default_gates
from boucle.registry.gates_conformance import check_gate
from boucle.registry.gates_run import build_gate_context
from boucle.runner.session import open_store

pytestmark = pytest.mark.slow
BoucleCli = Callable[..., subprocess.CompletedProcess[str]]
WEAK = "model: lightgbm\n  params: {n_estimators: 1, num_leaves: 2}"
STRONG = "model: logistic_regression"
CONTRACT = {"model", "challenger_version", "champion_version", "passed", "checks"}


def _write(folder: Path, german_path: Path, train: str, ledger: str | None = None) -> Path:
    config = folder / "boucle.yaml"
    stores = f"stores: {{ledger: '{ledger}'}}\n" if ledger else ""
    config.write_text(
        f"""\
project: german-gates
task: classification
data:
  source: {german_path}
  target: creditability
  positive_class: bad
  sensitive: [personal_status_and_sex, foreign_worker]
split: {{test_size: 0.3, seed: 7}}
train:
  {train}
  search: {{trials: 0}}
gates:
  metrics: {{roc_auc: 0.6, log_loss: 0.7}}
  min_improvement: 0.0
{stores}"""
    )
    return config


@dataclass
class Project:
    config: Path
    first: GateDecision
    lineages: list[str | None]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, german_path: Path) -> Project:
    folder = tmp_path_factory.mktemp("gates")
    config = _write(folder, german_path, WEAK)
    weak = api.run(config)
    first = api.gate("challenger", config)
    _write(folder, german_path, STRONG)
    strong = api.run(config)
    return Project(config, first, [weak.lineage_id, strong.lineage_id])


def _checks(decision: GateDecision) -> dict[str, GateCheck]:
    return {check.name: check for check in decision.checks}


def test_first_challenger_has_no_champion_but_other_gates_apply(project: Project) -> None:
    first = project.first
    checks = _checks(first)
    assert (first.challenger_version, first.champion_version) == (1, None)
    assert checks["beats_champion"].status == "skipped"
    assert "first challenger" in checks["beats_champion"].detail
    assert [checks[n].status for n in ("metric:roc_auc", "parity", "data_checks")] == ["passed"] * 3
    assert first.passed and any("no champion to beat" in note for note in first.notes)


def test_stronger_challenger_beats_the_champion(project: Project) -> None:
    decision = api.gate("challenger", project.config)
    checks = _checks(decision)
    assert (decision.challenger_version, decision.champion_version) == (2, 1)
    assert decision.passed, [c.detail for c in decision.checks]
    beats = checks["beats_champion"]
    numbers = beats.numbers
    assert numbers["challenger"] > numbers["champion"] and numbers["ci_low"] > 0.0
    assert beats.value == pytest.approx(numbers["challenger"] - numbers["champion"])
    assert numbers["used"] == 1000 and decision.rows == {"held_out": 300, "recent": 0}
    # The challenger's metrics equal what its own evaluate step measured on the same rows.
    evaluated = api.runs(project.config)[-1]["metrics"]
    assert checks["metric:roc_auc"].value == pytest.approx(evaluated["roc_auc"])
    assert checks["metric:log_loss"].passed and checks["metric:log_loss"].threshold == 0.7
    assert checks["slices"].numbers["against"] == "champion v1"


def test_weaker_challenger_fails_and_the_decision_is_recorded(
    project: Project, boucle_cli: BoucleCli
) -> None:
    done = boucle_cli("gate", "1", "--against", "2", "-c", str(project.config), "--json")
    assert done.returncode == 1, done.stderr
    decision = json.loads(done.stdout)
    checks = {c["name"]: c for c in decision["checks"]}
    assert decision["passed"] is False
    assert checks["beats_champion"]["status"] == "failed"
    assert checks["beats_champion"]["numbers"]["ci_high"] < 0
    table = boucle_cli("gate", "1", "--against", "2", "-c", str(project.config))
    assert table.returncode == 1
    assert "beats_champion" in table.stdout and "FAILED (failed: beats_champion" in table.stdout
    passing = boucle_cli("gate", "-c", str(project.config))
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert "PASSED" in passing.stdout

    events = [e for e in api.audit_log(project.config) if e.kind == "gate_evaluated"]
    recorded = next(e for e in events if e.index == decision["event_index"])
    assert set(recorded.payload) >= CONTRACT
    assert recorded.payload["challenger_version"] == 1 and recorded.payload["champion_version"] == 2
    assert recorded.lineage_id == project.lineages[0]
    for check in recorded.payload["checks"]:
        assert {"name", "passed", "value", "threshold", "detail"} <= set(check)
    assert api.audit_verify(project.config).ok


def test_mcnemar_and_thresholds_from_the_config(project: Project, boucle_cli: BoucleCli) -> None:
    env = {"BOUCLE_GATES__TEST": "mcnemar", "BOUCLE_GATES__METRICS": "{roc_auc: 0.95}"}
    done = boucle_cli("gate", "-c", str(project.config), "--json", env=env)
    assert done.returncode == 1, done.stderr
    decision = json.loads(done.stdout)
    checks = {c["name"]: c for c in decision["checks"]}
    assert decision["metric"] == "accuracy" and decision["test"] == "mcnemar"
    assert checks["metric:roc_auc"]["status"] == "failed"
    numbers = checks["beats_champion"]["numbers"]
    assert numbers["rows"] == 300 and 0.0 < numbers["p_value"] < 1.0
    assert "McNemar one-sided" in checks["beats_champion"]["detail"]


def test_recent_labelled_rows_are_added(project: Project, german_path: Path) -> None:
    recent = pd.read_csv(german_path).sample(120, random_state=3)
    recent.to_parquet(project.config.parent / "recent.parquet")
    decision = api.gate(
        "challenger", project.config, recent=project.config.parent / "recent.parquet"
    )
    assert decision.rows == {"held_out": 300, "recent": 120}
    assert _checks(decision)["beats_champion"].numbers["used"] == 1000
    recent.assign(creditability="maybe").to_csv(project.config.parent / "odd.csv", index=False)
    with pytest.raises(DataError, match="target labels \\['maybe'\\]"):
        api.gate("challenger", project.config, recent=project.config.parent / "odd.csv")


def test_parity_and_data_checks_need_their_ledger_events(project: Project, tmp_path: Path) -> None:
    # The same models judged against an empty ledger: no export, no data gate on record.
    cfg = load_config(project.config)
    empty = cfg.stores.model_copy(update={"ledger": f"sqlite:///{tmp_path / 'empty.db'}"})
    decision = api.gate("challenger", cfg.model_copy(update={"stores": empty}))
    checks = _checks(decision)
    assert checks["parity"].status == "failed" and "boucle export 2" in checks["parity"].detail
    assert checks["data_checks"].status == "failed"
    assert "data gate did not run" in checks["data_checks"].detail
    assert not decision.passed and set(decision.failures) == {"parity", "data_checks"}
    off = cfg.gates.model_copy(update={"require_parity": False, "require_data_checks": False})
    relaxed = api.gate("challenger", cfg.model_copy(update={"stores": empty, "gates": off}))
    assert relaxed.passed
    assert [_checks(relaxed)[n].status for n in ("parity", "data_checks")] == ["skipped"] * 2


class HoldoutSize:
    """A plug-in gate: enough held-out rows to judge on."""

    name = "holdout_size"

    def check(self, context: GateContext) -> GateCheck:
        rows = len(context.y)
        return GateCheck.outcome(self.name, rows >= 500, rows, 500, f"{rows} rows, need 500")


class Crashing:
    name = "crashing"

    def check(self, context: GateContext) -> GateCheck:
        raise ZeroDivisionError("oops")


def test_plugin_gates_and_the_gate_contract(project: Project) -> None:
    decision = api.gate("challenger", project.config, extra_gates=[HoldoutSize(), Crashing()])
    checks = _checks(decision)
    assert checks["holdout_size"].status == "failed" and checks["holdout_size"].value == 300
    assert checks["crashing"].status == "failed"
    assert "ZeroDivisionError: oops" in checks["crashing"].detail
    cfg = load_config(project.config)
    with Ledger(cfg.stores.ledger or "") as ledger:
        context = build_gate_context(cfg, open_store(cfg), ledger)
        for gate in [*default_gates(cfg.gates), HoldoutSize()]:
            check_gate(gate, context)
        with pytest.raises(ZeroDivisionError):
            check_gate(Crashing(), context)

        class Misnamed:
            name = "other"

            def check(self, context: GateContext) -> GateCheck:
                return GateCheck.skipped("holdout_size", "named after another gate")

        with pytest.raises(AssertionError, match="its check is named 'holdout_size'"):
            check_gate(Misnamed(), context)


@pytest.mark.postgres
def test_gates_with_the_ledger_on_postgresql(
    tmp_path: Path, german_path: Path, postgres_url: str
) -> None:
    config = _write(tmp_path, german_path, WEAK, ledger=postgres_url)
    api.run(config)
    _write(tmp_path, german_path, STRONG, ledger=postgres_url)
    api.run(config)
    assert api.gate("challenger", config).passed
    assert not api.gate("1", config, against="2").passed
    with Ledger(postgres_url) as ledger:
        events = ledger.events(kind="gate_evaluated")
        assert ledger.verify().ok
    assert [(e.payload["challenger_version"], e.payload["passed"]) for e in events] == [
        (2, True),
        (1, False),
    ]
