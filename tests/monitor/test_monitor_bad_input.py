"""Issue #7's bad inputs, through the real ``boucle monitor`` CLI on a really trained project.

Each one gives a clear ``error:``/``fix:`` (exit 1 or 2, never a traceback) or a report with
notes. Feedback for an unknown request id is also answered 404 by the server
(tests/serve/test_serve_feedback*.py); the webhook's address check itself is unit-tested in
tests/alerts/test_alerts_webhook.py — here both are driven end to end through ``boucle monitor``.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path
from typing import Any

import joblib
import orjson
import pandas as pd
import pytest

from boucle.serve.predlog import LogRecord, PredictionLog
from boucle.store import ArtifactStore

pytestmark = pytest.mark.slow
DAY = 86_400.0
T0 = 1_780_000_000.0
CONFIG = """\
project: german-bad-input
task: classification
data: {{source: {data}, target: creditability, positive_class: bad}}
train: {{model: logistic_regression, search: {{trials: 0}}}}
export: {{enabled: false}}
explain: {{enabled: false}}
robustness: {{enabled: false}}
"""
PLUGIN = """
import numpy as np
from boucle.plugins.protocols import DriftStatistic


class MeanShift:
    name = "mean_shift"
    kinds = ("numeric",)

    def compare(self, reference, values):
        present = values[~np.isnan(values)]
        if present.size == 0:
            return DriftStatistic(float("nan"))
        return DriftStatistic(float((present.mean() - reference.mean) / (reference.std or 1.0)))
"""


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "PYTHONPATH": str(cwd)}
    return subprocess.run([sys.executable, "-m", "boucle", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600, check=False)  # fmt: skip


def _write_log(folder: Path, rows: pd.DataFrame, pipeline: Any, classes: list[str]) -> None:
    """Two days of served predictions, one feedback in two, plus one for an unknown id."""
    probabilities = pipeline.predict_proba(rows)
    log = PredictionLog(folder, max_records=100_000, max_bytes=1 << 30, flush_rows=5_000,
                        flush_seconds=60)  # fmt: skip
    log.start()
    for n, (record, p) in enumerate(zip(rows.to_dict("records"), probabilities, strict=True)):
        request_id = uuid.uuid4().hex
        when = T0 + (n // 150) * DAY + n
        response = {"predictions": [classes[int(p.argmax())]],
                    "probabilities": [dict(zip(classes, map(float, p), strict=True))]}  # fmt: skip
        log.record(LogRecord(request_id, when, "prediction", 200, "champion", "champion",
                             "german-bad-input", "1", None, 2.0, 1, orjson.dumps(record),
                             orjson.dumps(response)))  # fmt: skip
        if n % 2 == 0:
            log.record(LogRecord(request_id, when + 5, "feedback", 202,
                                 outcome=orjson.dumps("good")))  # fmt: skip
    log.record(LogRecord("no-such-request", T0 + 10, "feedback", 202, outcome=orjson.dumps("bad")))
    log.close()


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, german: pd.DataFrame) -> Path:
    """German credit (600-row sample) trained once; a 300-row serving log over two days."""
    folder = tmp_path_factory.mktemp("bad-input")
    german.sample(600, random_state=0).to_csv(folder / "train.csv", index=False)
    (folder / "boucle.yaml").write_text(CONFIG.format(data=folder / "train.csv"))
    done = _cli("run", cwd=folder)
    assert done.returncode == 0, done.stderr
    run_id = json.loads(_cli("runs", "--json", cwd=folder).stdout)[0]["run_id"]
    train = json.loads(_cli("show", run_id, cwd=folder).stdout)["steps"]["train"]["manifest"]
    store = ArtifactStore(str(folder / ".boucle"))
    pipeline = joblib.load(io.BytesIO(store.get_bytes(train["model_digest"])))
    rows = german.sample(300, random_state=1).drop(columns=["creditability"])
    _write_log(folder / ".boucle" / "predictions", rows.reset_index(drop=True), pipeline,
               train["classes"])  # fmt: skip
    return folder


@pytest.fixture(scope="module")
def production(german: pd.DataFrame) -> pd.DataFrame:
    """Rows the model scores in production: another sample, without the label."""
    return german.sample(200, random_state=2).drop(columns=["creditability"]).reset_index(drop=True)


def _last(project: Path, kind: str) -> dict[str, Any]:
    events = json.loads(_cli("audit", "log", "--json", cwd=project).stdout)
    payload: dict[str, Any] = [e for e in events if e["kind"] == kind][-1]["payload"]
    return payload


def _report(project: Path) -> dict[str, Any]:
    digest = _last(project, "drift_checked")["report_digest"]
    report: dict[str, Any] = json.loads(ArtifactStore(str(project / ".boucle")).get_bytes(digest))
    return report


def _clear_error(done: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert done.returncode not in (0, 3), done.stdout
    assert "Traceback" not in done.stderr, done.stderr
    assert "error:" in done.stderr and "fix:" in done.stderr, done.stderr
    flat = " ".join(done.stderr.split())
    for fragment in fragments:
        assert fragment in flat, (fragment, done.stderr)


def test_empty_window_is_a_clear_error(
    project: Path, production: pd.DataFrame, tmp_path: Path
) -> None:
    production.iloc[:0].to_csv(tmp_path / "empty.csv", index=False)
    _clear_error(_cli("monitor", "--current", str(tmp_path / "empty.csv"), cwd=project),
                 "empty.csv' has no rows (only a header line",
                 "production rows")  # fmt: skip
    _clear_error(_cli("monitor", "--since", "2099-01-01", cwd=project), "no record since",
                 "--window")  # fmt: skip


def test_a_single_row_gives_a_report_with_a_note(
    project: Path, production: pd.DataFrame, tmp_path: Path
) -> None:
    production.iloc[:1].to_csv(tmp_path / "one.csv", index=False)
    done = _cli("monitor", "--current", str(tmp_path / "one.csv"), cwd=project)
    assert done.returncode in (0, 3) and "Traceback" not in done.stderr, done.stderr
    notes = _last(project, "drift_checked")["notes"]
    assert any(note.startswith("too few rows: 1 ") for note in notes), notes
    assert _report(project)["runtime"]["rows"] == 1


def test_constant_and_all_missing_columns_are_reported(
    project: Path, production: pd.DataFrame, tmp_path: Path
) -> None:
    window = production.copy()
    window["age_in_years"] = 30  # constant
    window["purpose"] = None  # every value missing
    window.to_csv(tmp_path / "odd.csv", index=False)
    done = _cli("monitor", "--current", str(tmp_path / "odd.csv"), cwd=project)
    assert done.returncode == 3, done.stderr
    report = _report(project)
    assert {"age_in_years", "purpose"} <= set(report["drifted_features"])
    purpose = next(f for f in report["features"] if f["feature"] == "purpose")
    assert purpose["n_current"] == 0 and purpose["statistics"]["missing_rate_change"] > 0.99
    assert (
        "feature 'purpose' has no value in the current data (all missing)."
        in (_last(project, "drift_checked")["notes"])
    )


def test_unseen_categories_are_counted(
    project: Path, production: pd.DataFrame, tmp_path: Path
) -> None:
    window = production.copy()
    window.loc[:59, "purpose"] = "spaceship"
    window.to_csv(tmp_path / "new.csv", index=False)
    done = _cli("monitor", "--current", str(tmp_path / "new.csv"), cwd=project)
    assert done.returncode == 3, done.stderr
    purpose = next(f for f in _report(project)["features"] if f["feature"] == "purpose")
    assert purpose["details"]["unseen_examples"] == {"spaceship": 60}
    assert purpose["statistics"]["unseen_share"] == pytest.approx(0.3)
    assert purpose["drifted"]


def test_different_columns_list_the_missing_and_the_extra(
    project: Path, production: pd.DataFrame, tmp_path: Path
) -> None:
    window = production.rename(columns={"age_in_years": "age"}).drop(columns=["job"])
    window.to_csv(tmp_path / "renamed.csv", index=False)
    done = _cli("monitor", "--current", str(tmp_path / "renamed.csv"), cwd=project)
    _clear_error(done, "'age_in_years', 'job' of the reference profile are not in",
                 "1 column(s) the reference does not: 'age'")  # fmt: skip


def test_unknown_feedback_is_counted_and_dask_gives_the_same_drift(project: Path) -> None:
    done = _cli("monitor", "--since", "2020-01-01", cwd=project)
    assert done.returncode in (0, 3) and "Traceback" not in done.stderr, done.stderr
    feedback = _last(project, "performance_checked")["feedback"]
    assert feedback["unmatched_request_id"] == 1 and feedback["received"] == 151
    local = _report(project)
    (project / "dask.yaml").write_text(
        (project / "boucle.yaml").read_text() + "monitor: {dask: true, workers: 2}\n"
    )
    done = _cli("monitor", "--since", "2020-01-01", "--config", "dask.yaml", cwd=project)
    assert done.returncode in (0, 3) and "Traceback" not in done.stderr, done.stderr
    on_dask = _report(project)
    assert on_dask["runtime"]["engine"] == "dask" and on_dask["runtime"]["partitions"] >= 2
    assert on_dask["runtime"]["rows"] == local["runtime"]["rows"] == 300
    assert on_dask["drifted_features"] == local["drifted_features"]
    for mine, theirs in zip(local["features"], on_dask["features"], strict=True):
        assert mine["n_current"] == theirs["n_current"]
        assert mine["p_values"] == pytest.approx(theirs["p_values"], rel=1e-9)
        for key, value in mine["statistics"].items():
            assert value == pytest.approx(theirs["statistics"][key], rel=1e-9, abs=1e-12)


def test_monitor_section_sets_drift_tests_and_alpha(
    project: Path, production: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "shift_plugin.py").write_text(PLUGIN)
    (project / "plugin.yaml").write_text(
        (project / "boucle.yaml").read_text()
        + "monitor: {alpha: 0.05, drift_tests: [ks, 'shift_plugin:MeanShift']}\n"
    )
    production.to_csv(tmp_path / "window.csv", index=False)
    done = _cli("monitor", "--current", str(tmp_path / "window.csv"), "--config", "plugin.yaml",
                cwd=project)  # fmt: skip
    assert done.returncode in (0, 3), done.stderr
    assert _last(project, "drift_checked")["tests"] == ["shift_plugin:MeanShift"]
    age = next(f for f in _report(project)["features"] if f["feature"] == "age_in_years")
    assert "mean_shift" in age["statistics"]
    # The CLI passes --alpha itself; the API takes monitor.alpha when none is given.
    from boucle import api

    monkeypatch.syspath_prepend(str(project))
    _, report = api.monitor(tmp_path / "window.csv", project / "plugin.yaml", alerts=False)
    assert report.alpha == 0.05
    assert "mean_shift" in report.feature("credit_amount").statistics


def test_webhook_to_the_metadata_address_is_refused(
    project: Path, production: pd.DataFrame, tmp_path: Path
) -> None:
    (project / "hook.yaml").write_text(
        (project / "boucle.yaml").read_text()
        + textwrap.dedent("""\
            alerts:
              rules:
                - {name: any-drift, when: 'drift.share_drifted >= 0', sinks: [meta]}
              sinks:
                meta: {type: webhook, url: 'http://169.254.169.254/latest/meta-data/'}
            """)
    )
    production.to_csv(tmp_path / "window.csv", index=False)
    done = _cli("monitor", "--current", str(tmp_path / "window.csv"), "--config", "hook.yaml",
                cwd=project)  # fmt: skip
    assert done.returncode in (0, 3) and "Traceback" not in done.stderr, done.stderr
    fired = _last(project, "alert_fired")
    assert fired["rule"] == "any-drift"
    assert (
        fired["sinks"]["meta"].startswith("failed:")
        and "non-public address" in (fired["sinks"]["meta"])
    )


@pytest.mark.parametrize(
    ("section", "fragments"),
    [
        (
            "alerts:\n  rules:\n    - {name: broken-rule, when: 'drift.share_drifted >> 0.3', "
            "sinks: [ops]}\n  sinks: {ops: {type: log}}\n",
            ("broken-rule", "drift.share_drifted >> 0.3"),
        ),
        ("monitor: {timeline: 1W}\n", ("monitor.timeline", "'1W'")),
        ("monitor: {drift_tests: ['two words']}\n", ("monitor.drift_tests", "'two words'")),
        ("monitor: {alpha: 2}\n", ("monitor.alpha",)),
    ],
    ids=["alert-rule-syntax", "timeline", "drift-test-name", "alpha"],
)
def test_bad_config_is_refused_at_load(
    boucle_cli: Any, tmp_path: Path, german_path: Path, section: str, fragments: tuple[str, ...]
) -> None:
    (tmp_path / "boucle.yaml").write_text(CONFIG.format(data=german_path) + section)
    _clear_error(boucle_cli("monitor", "--current", str(german_path)), *fragments)
