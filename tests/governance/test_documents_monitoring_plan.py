"""Annex IV item 9 (Art. 72) from the configuration: monitor:, alerts:, retrain: written out.

The blocks are built from validated boucle.yaml texts; how often checks ran is read from
monitoring events appended to a real SQLite ledger the way ``boucle monitor`` appends them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from boucle.config import BoucleConfig, parse_config
from boucle.governance.documents.monitoring_watch import (
    check_cadence,
    retrain_blocks,
    sinks_table,
    watch_facts,
)
from boucle.ledger import Ledger
from boucle.reports import Block, Panel, Table

BASE = """\
project: credit
task: classification
data: {source: german.csv, target: creditability, positive_class: bad}
"""
ALERTS = """\
alerts:
  sinks:
    oncall: {type: webhook, url: 'https://hooks.example.com/services/T0/B0/secret'}
    pager: {type: webhook, url_env: PAGER_URL}
    risk: {type: smtp, host: mail.example, sender: boucle@example.com,
           to: [risk@example.com, cro@example.com]}
  rules:
    - {name: drift-high, when: drift.share_drifted > 0.3, sinks: [oncall, risk]}
    - {name: auc-drop, when: performance_drop.roc_auc > 0.05, sinks: [pager]}
"""


def _config(tmp_path: Path, *blocks: str) -> BoucleConfig:
    return parse_config(BASE + "".join(blocks), source=tmp_path / "boucle.yaml", env={})


def _rows(blocks: Sequence[Block]) -> Iterator[list[Any]]:
    for block in blocks:
        if isinstance(block, Table):
            yield from (list(row) for row in block.rows)
        elif isinstance(block, Panel):
            yield from _rows(block.blocks)


def _values(blocks: Sequence[Block]) -> dict[str, Any]:
    return {row[0]: row[1] for row in _rows(blocks)}


def test_what_is_monitored_comes_from_monitor_and_retrain(tmp_path: Path) -> None:
    config = _config(
        tmp_path,
        "monitor: {alpha: 0.05, timeline: 6h, drift_tests: ['my_pkg.drift:MeanShift'], "
        "dask: true, workers: 4}\n",
        "retrain: {lookback: 7d, alpha: 0.02}\n",
    )
    facts = {fact.label: fact for fact in watch_facts(config)}
    drift = facts["input drift"].value or ""
    assert "Kolmogorov-Smirnov" in drift and "plug-ins: my_pkg.drift:MeanShift" in drift
    assert facts["drift threshold"].value == (
        "false discovery rate 0.05 across features (Benjamini-Hochberg); the loop uses 0.02"
    )
    assert facts["drift threshold"].source == "boucle.yaml monitor.alpha, retrain.alpha"
    assert facts["timeline resolution"].value == "6h (boucle monitor), 1D (boucle loop)"
    assert facts["window watched by the loop"].value == (
        "since the champion took office, at most the last 7d"
    )
    assert facts["partitions scanned"].value == "on a local Dask cluster (4)"
    assert (facts["performance"].value or "").startswith("accuracy, precision, recall, F1")
    cadence = facts["how often checks ran"]
    assert cadence.value is None and cadence.how.startswith("no monitoring run recorded so far")
    assert "boucle loop --every" in cadence.how


def test_how_often_counts_monitoring_runs_in_the_ledger(tmp_path: Path) -> None:
    config = _config(tmp_path)
    with Ledger(f"sqlite:///{tmp_path / 'ledger.db'}") as ledger:
        for run in ("20261125T100000-aaaaaa", "20261126T100000-bbbbbb"):
            # One `boucle monitor` run records both events under its run id.
            ledger.append("drift_checked", {"rows": 500, "share_drifted": 0.1}, run_id=run)
            ledger.append("performance_checked", {"labelled": 40}, run_id=run)
        events = ledger.events()
    cadence = next(f for f in watch_facts(config, events) if f.label == "how often checks ran")
    assert cadence.value is not None and cadence.value.startswith("2 checks from ")
    assert "drift_checked / performance_checked" in cadence.source


def test_check_cadence_is_the_median_gap() -> None:
    days = [datetime(2026, 11, d, 6, 0) for d in (3, 1, 2, 4)]
    assert check_cadence(days) == "4 checks from 2026-11-01 to 2026-11-04, typically every 1d"
    hours = [datetime(2026, 11, 1, h, 0) for h in (0, 6, 12, 13)]
    assert check_cadence(hours).endswith("typically every 6h")


def test_retraining_lists_rules_window_promotion_and_who_is_told(tmp_path: Path) -> None:
    config = _config(
        tmp_path,
        ALERTS,
        "retrain:\n"
        "  rules: [{name: monthly, when: schedule.hours_since_retrain >= 720},\n"
        "          {name: drift, when: drift.share_drifted > 0.4}]\n"
        "  min_new_labels: 500\n"
        "  window: {mode: sliding, size: 20000}\n"
        "  promote: false\n"
        "  notify: [risk]\n",
    )
    rules, facts = retrain_blocks(config)
    assert isinstance(rules, Table)
    assert [list(row) for row in rules.rows] == [
        ["monthly", "schedule.hours_since_retrain >= 720"],
        ["drift", "drift.share_drifted > 0.4"],
    ]
    assert "boucle.yaml retrain" in rules.caption and "at least 500 labelled" in rules.caption
    values = _values([facts])
    assert values["training window"] == (
        "sliding: the newest 20000 rows of data.source, then the labelled records"
    )
    assert values["gate rows"].startswith("30% of the labelled records")
    assert values["retrained model"].startswith("left as challenger for a person")
    assert values["told of every decision"] == "risk"


def test_default_retrain_rules_are_shown_as_defaults(tmp_path: Path) -> None:
    rules, facts = retrain_blocks(_config(tmp_path))
    assert isinstance(rules, Table)
    assert [row[0] for row in rules.rows] == ["drift", "performance-drop"]
    assert rules.caption.startswith("shipped defaults (no retrain: in boucle.yaml)")
    values = _values([facts])
    assert values["retrained model"].startswith("promoted when it passes the gates")
    assert values["training window"] == (
        "reference_plus_recent: every row of data.source and every labelled record"
    )


def test_who_is_alerted_names_targets_without_secrets(tmp_path: Path) -> None:
    config = _config(tmp_path, ALERTS)
    rows = {row[0]: row[1:] for row in _rows([sinks_table(config)])}
    assert rows == {
        "oncall": ["webhook", "JSON POST to hooks.example.com"],
        "risk": ["smtp", "e-mail to risk@example.com, cro@example.com"],
        "pager": ["webhook", "JSON POST to the URL in $PAGER_URL"],
        "log": ["log", "the process log of the boucle command (stderr)"],  # retrain.notify
    }
    assert "secret" not in repr(rows)
