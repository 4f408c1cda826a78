"""The fairness step when it can measure nothing: recorded as not measured, warned or stopped.

German credit with the logistic regression (real stores, SQLite ledger); the runs stop before
``register`` and skip the explain and robustness steps, which are not what is tested here.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from boucle.api import loop_steps
from boucle.config import BoucleConfig, parse_config
from boucle.errors import StepError
from boucle.ledger import Ledger
from boucle.runner.session import run_steps


def _config(tmp_path: Path, german_path: Path, sensitive: str, fairness: str) -> BoucleConfig:
    text = f"""\
project: credit
task: classification
data:
  source: {german_path}
  target: creditability
  positive_class: bad
  sensitive: {sensitive}
  checks: {{schema: {{path: null}}, representation: {{min_count: 25}}}}
train: {{model: logistic_regression, search: {{trials: 0}}}}
explain: {{enabled: false}}
robustness: {{enabled: false}}
fairness: {fairness}
"""
    return parse_config(text, source=tmp_path / "boucle.yaml", env={})


def _run(config: BoucleConfig) -> Any:
    after = ("register", "mitigate", "export", "skew", "reference")
    return run_steps(config, [s for s in loop_steps(config) if s.name not in after])


def _fairness_events(config: BoucleConfig) -> list[dict[str, Any]]:
    with Ledger(config.stores.ledger or "") as ledger:
        return [e.payload for e in ledger.events(kind="fairness_checked")]


def test_without_sensitive_columns_the_step_records_nothing_measured_and_warns(
    tmp_path: Path, german_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = _config(tmp_path, german_path, "[]", "{on_fail: warn}")
    assert "fairness" in [s.name for s in loop_steps(config)]
    with caplog.at_level(logging.WARNING, logger="boucle.runner"):
        outcome = _run(config)
    manifest = outcome.steps["fairness"].manifest
    assert outcome.steps["fairness"].status == "done"  # a minimal project keeps running
    (payload,) = _fairness_events(config)
    assert payload["measured"] is False and payload["passed"] is False
    assert payload["failures"] == [] and payload["metrics"] == {}
    assert payload["unmeasured_reason"].startswith("no sensitive column to group by")
    assert manifest["measured"] is False
    warned = [r.getMessage() for r in caplog.records if r.name == "boucle.runner"]
    assert any("the fairness gate measured nothing" in m and "data.sensitive" in m for m in warned)


def test_groups_below_the_minimum_size_stop_the_run_with_on_fail_error(
    tmp_path: Path, german_path: Path
) -> None:
    config = _config(
        tmp_path, german_path, "[personal_status_and_sex]", "{min_group_size: 5000, on_fail: error}"
    )
    with pytest.raises(StepError) as info:
        _run(config)
    assert info.value.step == "fairness" and info.value.exit_code == 3
    message = str(info.value)
    assert "the fairness gate measured nothing: every group is below the minimum size" in message
    assert "5000 rows" in message and "fairness.min_group_size" in message
    (payload,) = _fairness_events(config)  # recorded before the run stopped
    assert payload["measured"] is False and payload["passed"] is False
    assert "personal_status_and_sex: 0 of" in payload["unmeasured_reason"]
