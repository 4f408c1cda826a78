"""``boucle loop``: the lock, a dry run, waiting for labels, and a whole iteration on PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from loop_helpers import Periods, boucle, ledger_events, serving, write_project

from boucle.config import load_config
from boucle.ledger import Ledger
from boucle.loop import LoopBusyError, loop_lock
from boucle.registry import get_aliases

pytestmark = pytest.mark.slow


def _loop(project: Path, *args: str) -> dict[str, Any]:
    done = boucle("loop", "-c", project.name, "--json", *args, cwd=project.parent)
    assert done.returncode == 0, done.stdout + done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _variant(project: Path, name: str, retrain: str) -> Path:
    """The same project (same stores) with another ``retrain:`` section."""
    path = project.with_name(name)
    path.write_text(project.read_text() + f"retrain: {retrain}\n")
    return path


def test_a_second_loop_is_refused_while_one_runs(served_project: Path) -> None:
    config = load_config(served_project)
    before = len(ledger_events(served_project, "loop_iteration"))
    with loop_lock(config):
        with pytest.raises(LoopBusyError, match="another `boucle loop`"), loop_lock(config):
            pass
        done = boucle("loop", cwd=served_project.parent)
    assert done.returncode == 2
    assert "another `boucle loop` of project 'adult-loop' is running" in done.stderr
    assert "loop.lock" in done.stderr and "Traceback" not in done.stderr
    assert len(ledger_events(served_project, "loop_iteration")) == before


def test_a_dry_run_decides_without_training_or_recording(served_project: Path) -> None:
    config = load_config(served_project)
    versions = get_aliases(config.stores.tracking or "", config.project)
    before = len(ledger_events(served_project, "loop_iteration"))
    result = _loop(served_project, "--dry-run")
    assert result["decision"] == "would_retrain" and result["dry_run"] is True
    assert result["fired_rules"] == ["drift", "performance-drop"]
    assert result["event_index"] is None and result["challenger_version"] is None
    assert result["values"]["labels"] == {"new": 4000, "total": 4000}
    assert get_aliases(config.stores.tracking or "", config.project) == versions
    assert len(ledger_events(served_project, "loop_iteration")) == before


def test_too_few_new_labels_keep_the_champion_and_say_why(served_project: Path) -> None:
    waiting = _variant(served_project, "waiting.yaml", "{min_new_labels: 100000}")
    result = _loop(waiting)
    assert result["decision"] == "waiting_for_labels" and not result["retrained"]
    assert result["reasons"] == [
        "4000 labelled record(s) since the last retrain (the beginning); "
        "retrain.min_new_labels is 100000"
    ]
    (event,) = [
        e for e in ledger_events(served_project, "loop_iteration")
        if e["index"] == result["event_index"]
    ]  # fmt: skip
    assert event["lineage_id"] == result["champion_lineage"]
    assert event["payload"]["fired_rules"] == ["drift", "performance-drop"]
    assert event["payload"]["decision"] == "waiting_for_labels"


def test_an_unknown_notify_sink_is_a_config_error(served_project: Path) -> None:
    pager = _variant(served_project, "pager.yaml", "{notify: [pager]}")
    done = boucle("loop", "-c", pager.name, cwd=pager.parent)
    assert done.returncode == 2
    assert "retrain.notify names the sink(s) pager" in done.stderr
    assert "alerts.sinks" in done.stderr


@pytest.mark.postgres
def test_iterations_on_postgresql_across_decisions_and_machines(
    tmp_path: Path, periods: Periods, postgres_url: str
) -> None:
    source = tmp_path / "period1.csv"
    periods.train.to_csv(source, index=False)
    project = write_project(
        tmp_path / "project",
        source,
        f"stores: {{ledger: '{postgres_url}', tracking: '{postgres_url}'}}\n"
        "retrain:\n  min_new_labels: 0\n  window: {reference_rows: 1500}\n  rules:\n"
        "    - {name: drift, when: drift.share_drifted > 0.3}\n"
        "    - {name: new-labels, when: labels.new >= 100}\n",
    )
    # The schema is inferred from period 1: age is an integer that is never missing.
    checked = "sensitive: [sex], checks: {schema: {path: schema.yaml}}}"
    project.write_text(project.read_text().replace("sensitive: [sex]}", checked))
    assert boucle("schema", "infer", cwd=project.parent).returncode == 0
    assert boucle("run", cwd=project.parent).returncode == 0
    quiet = _loop(project)  # nothing served yet
    assert (quiet["decision"], quiet["fired_rules"]) == ("no_traffic", [])
    with serving(project) as served:
        served.score(periods.drifted.head(2000), label=True)
        served.flushed()
    # Another machine (another store folder, the same ledger) runs the loop: refused.
    config = load_config(project)
    elsewhere = config.model_copy(
        update={"stores": config.stores.model_copy(update={"root": str(tmp_path / "other")})}
    )
    with loop_lock(elsewhere):
        busy = boucle("loop", cwd=project.parent)
    assert busy.returncode == 2 and "loop lock in postgresql" in busy.stderr
    # The challenger passes the gates, but the use case was never classified: kept.
    refused = _loop(project)
    assert refused["fired_rules"] == ["drift", "new-labels"]
    assert (refused["decision"], refused["challenger_version"]) == ("kept_champion", 2)
    assert refused["gate_passed"] is True
    assert refused["reasons"] == ["promotion policy: missing classified"]
    assert get_aliases(postgres_url, "adult-loop")["champion"] == "1"
    assert boucle("classify", cwd=project.parent).returncode == 0
    # No new label, the drift persists (min_new_labels: 0): the same rows, the same file,
    # a fully cached run, the same v2 — now promoted.
    result = _loop(project)
    assert (result["fired_rules"], result["values"]["labels"]["new"]) == (["drift"], 0)
    assert result["training_data"]["digest"] == refused["training_data"]["digest"]
    assert (result["decision"], result["challenger_version"]) == ("promoted", 2)
    assert get_aliases(postgres_url, "adult-loop")["champion"] == "2"
    runs = json.loads(boucle("runs", "--json", cwd=project.parent).stdout)
    assert set(runs[-1]["steps"].values()) == {"cached"}
    # Clients stop sending the age: the retrain's data gate refuses the rows. Recorded,
    # exit 1, and the labels stay new so that the next iteration tries again.
    with serving(project) as served:
        served.score(periods.held_out.head(150).assign(age=None), label=True)
        served.flushed()
    failed = boucle("loop", "--json", cwd=project.parent)
    assert failed.returncode == 1, failed.stderr
    failure = json.loads(failed.stdout)
    assert (failure["decision"], failure["fired_rules"]) == ("retrain_failed", ["new-labels"])
    assert "step 'validate' failed" in failure["reasons"][0]
    assert "schema[age]" in failure["reasons"][0] and failure["notified"] == {"log": "sent"}
    again = _loop(project, "--dry-run")
    assert (again["decision"], again["values"]["labels"]["new"]) == ("would_retrain", 150)
    with Ledger(postgres_url) as ledger:
        events = ledger.events(kind="loop_iteration")
        assert ledger.verify().ok
    decisions = [e.payload["decision"] for e in events]
    assert decisions == ["no_traffic", "kept_champion", "promoted", "retrain_failed"]
    assert [e.lineage_id for e in events] == [quiet["champion_lineage"]] * 3 + [
        result["challenger_lineage"]
    ]  # each under the lineage of the champion it monitored
    assert events[2].payload["training_data"]["source_rows"] == 1500
