"""The closed loop on real drift, end to end, through the real server and the real CLI.

Adult is cut into periods with a documented shift (see ``loop_helpers``): the champion is
trained on period 1. First the **control** — 1,000 more rows of period 1 — goes through
``/predict`` and ``/feedback``: ``boucle loop`` must see no drift, no performance drop, and
keep the champion. Then **period 2** — older people, longer hours, more self-employed, and
a wage rise in the skilled trades — goes through the same server: the loop must detect the
drift and the performance drop, retrain on ``reference_plus_recent``, gate the challenger
on recent labelled rows it never saw, and promote it. Reloaded into the running server, the
new champion must score the held-out part of period 2 measurably better than the old one
(paired bootstrap of the ROC AUC difference, lower bound above zero).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from loop_helpers import POSITIVE, TARGET, Periods, boucle, ledger_events, serving, write_project
from sklearn.metrics import roc_auc_score

pytestmark = pytest.mark.slow


def _loop(project: Path) -> dict[str, Any]:
    done = boucle("loop", "--json", cwd=project.parent)
    assert done.returncode == 0, done.stdout + done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _auc_gain_interval(
    y: np.ndarray[Any, Any], old: np.ndarray[Any, Any], new: np.ndarray[Any, Any]
) -> tuple[float, float]:
    """95 % paired bootstrap interval of AUC(new) - AUC(old) on the same rows."""
    rng = np.random.default_rng(0)
    gains = []
    for _ in range(1000):
        rows = rng.integers(0, len(y), len(y))
        gains.append(roc_auc_score(y[rows], new[rows]) - roc_auc_score(y[rows], old[rows]))
    low, high = np.quantile(gains, [0.025, 0.975])
    return float(low), float(high)


def test_the_loop_retrains_on_real_drift_and_not_on_the_control(
    tmp_path: Path, periods: Periods
) -> None:
    source = tmp_path / "period1.csv"
    periods.train.to_csv(source, index=False)
    project = write_project(
        tmp_path / "project", source, "retrain: {window: {reference_rows: 2000}}\n"
    )
    trained = boucle("run", cwd=project.parent)
    assert trained.returncode == 0, trained.stderr
    assert boucle("classify", cwd=project.parent).returncode == 0  # minimal risk: gates suffice
    y = (periods.held_out[TARGET] == POSITIVE).to_numpy()

    with serving(project) as served:
        # The control: a random split of period 1. Nothing may fire.
        served.score(periods.control, label=True)
        served.flushed()
        control = _loop(project)
        assert control["decision"] == "no_retrain" and control["fired_rules"] == []
        assert control["values"]["drift"]["n_drifted"] == 0
        assert abs(control["values"]["performance_drop"]["roc_auc"]) < 0.05
        assert control["values"]["labels"] == {"new": 1000, "total": 1000}
        assert control["champion_version"] == 1 and control["challenger_version"] is None

        # Period 2: the champion scores it; the outcomes come back through /feedback.
        served.score(periods.drifted, label=True)
        before = served.score(periods.held_out, label=False)
        served.flushed()
        drifted = _loop(project)
        assert drifted["fired_rules"] == ["drift", "performance-drop"]
        values = drifted["values"]
        assert {"age", "hours-per-week", "workclass"} <= {
            name for name, row in values["drift"]["features"].items() if row["drifted"]
        }
        assert values["performance_drop"]["roc_auc"] > 0.05
        assert drifted["decision"] == "promoted", drifted["reasons"]
        assert (drifted["challenger_version"], drifted["gate_passed"]) == (2, True)
        data = drifted["training_data"]
        assert (data["mode"], data["source_rows"]) == ("reference_plus_recent", 2000)
        assert data["recent_rows"] + data["gate_rows"] == 4000  # control + period 2, labelled

        # The new champion, reloaded into the running server, on the held-out period 2.
        served.reload()
        after = served.score(periods.held_out, label=False)
    assert set(before["version"]) == {"1"} and set(after["version"]) == {"2"}
    old_auc = roc_auc_score(y, before["p"])
    new_auc = roc_auc_score(y, after["p"])
    low, high = _auc_gain_interval(y, before["p"].to_numpy(), after["p"].to_numpy())
    assert low > 0, (old_auc, new_auc, low, high)
    old_accuracy = float(((before["p"] > 0.5) == y).mean())
    new_accuracy = float(((after["p"] > 0.5) == y).mean())
    assert new_accuracy > old_accuracy

    # The gates compared both versions on recent labelled rows the challenger never saw.
    (gate,) = [e for e in ledger_events(project, "gate_evaluated")]
    checks = {check["name"]: check for check in gate["payload"]["checks"]}
    assert gate["payload"]["rows"]["recent"] == data["gate_rows"] > 0
    assert checks["beats_champion"]["status"] == "passed"
    assert gate["index"] == drifted["gate_event_index"]

    # The champion's lineage holds the monitoring and both decisions; the decision names the
    # challenger's lineage, which holds the retrain run, the gates and the promotion.
    story = boucle("audit", "log", "--lineage", control["champion_lineage"], "--json",
                   cwd=project.parent)  # fmt: skip
    assert story.returncode == 0, story.stderr
    kinds = [event["kind"] for event in json.loads(story.stdout)]
    loops = [event for event in json.loads(story.stdout) if event["kind"] == "loop_iteration"]
    assert [event["payload"]["decision"] for event in loops] == ["no_retrain", "promoted"]
    assert {"drift_checked", "performance_checked", "alert_fired"} <= set(kinds)
    challenger = boucle("audit", "log", "--lineage", drifted["challenger_lineage"], "--json",
                        cwd=project.parent)  # fmt: skip
    kinds = {event["kind"] for event in json.loads(challenger.stdout)}
    assert {"run_started", "gate_evaluated", "model_promoted"} <= kinds
    assert loops[-1]["payload"]["challenger_lineage"] == drifted["challenger_lineage"]
    assert boucle("audit", "verify", cwd=project.parent).returncode == 0
