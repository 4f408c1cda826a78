"""Performance from the prediction log: outcomes joined by request id, intervals, estimates.

Logs are written by the real :class:`PredictionLog` writer (Parquet, partitioned by day) and
read back with :func:`read_prediction_log`, in the exact format ``boucle serve`` produces.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pytest

from boucle.errors import ConfigError, DataError
from boucle.monitor.feedback_join import join_feedback
from boucle.monitor.operations import operations_report
from boucle.monitor.performance import performance_report
from boucle.serve.predlog import LogRecord, PredictionLog, read_prediction_log

CLASSES = ("<=50K", ">50K")
DAY = 86_400.0
T0 = 1_780_000_000.0  # a fixed epoch second, so windows are reproducible


def _prediction(
    request_id: str,
    when: float,
    rows: list[dict[str, Any]],
    p_positive: list[float],
    *,
    version: str = "3",
    latency_ms: float = 2.0,
    status: int = 200,
) -> LogRecord:
    labels = [CLASSES[1] if p >= 0.5 else CLASSES[0] for p in p_positive]
    response = {
        "request_id": request_id,
        "predictions": labels,
        "probabilities": [{CLASSES[0]: 1 - p, CLASSES[1]: p} for p in p_positive],
    }
    return LogRecord(
        request_id, when, "prediction", status, "champion", "champion", "adult", version,
        "lin-x", latency_ms, len(rows), orjson.dumps(rows if len(rows) > 1 else rows[0]),
        orjson.dumps(response),
    )  # fmt: skip


def _feedback(request_id: str, when: float, outcome: Any) -> LogRecord:
    return LogRecord(request_id, when, "feedback", 202, outcome=orjson.dumps(outcome))


def _write_log(folder: Path, records: list[LogRecord]) -> pd.DataFrame:
    log = PredictionLog(
        folder, max_records=100_000, max_bytes=1 << 30, flush_rows=10_000, flush_seconds=60
    )
    log.start()
    for record in records:
        assert log.record(record, 100)
    log.close()
    frame: pd.DataFrame = read_prediction_log(folder).to_pandas()
    return frame


def _rid() -> str:
    return uuid.uuid4().hex


def test_measured_metrics_match_a_hand_count(tmp_path: Path) -> None:
    # 4 labelled single-row predictions: TP, TN, FP, FN -> accuracy 0.5, precision 0.5,
    # recall 0.5; one unlabelled; one feedback for an unknown id; one with a foreign label.
    ids = [_rid() for _ in range(6)]
    probs = [0.9, 0.2, 0.8, 0.3, 0.7, 0.6]
    outcomes = [">50K", "<=50K", "<=50K", ">50K", None, "maybe"]
    records = [
        _prediction(i, T0 + n, [{"age": 30 + n, "sex": "F" if n % 2 else "M"}], [p])
        for n, (i, p) in enumerate(zip(ids, probs, strict=True))
    ]
    records += [_feedback(i, T0 + 100, o) for i, o in zip(ids, outcomes, strict=True) if o]
    records.append(_feedback(_rid(), T0 + 100, ">50K"))
    scored = join_feedback(_write_log(tmp_path / "log", records))
    assert scored.classes == CLASSES
    report = performance_report(scored, task="binary", positive_class=">50K", sensitive=("sex",))

    measured = report.overall.measured
    assert report.overall.scored == 6 and report.overall.labelled == 4
    assert measured["accuracy"].value == pytest.approx(0.5)
    assert measured["precision"].value == pytest.approx(0.5)
    assert measured["recall"].value == pytest.approx(0.5)
    assert measured["f1"].value == pytest.approx(0.5)
    # pairs (pos > neg): 0.9>0.2, 0.9>0.8, 0.3>0.2 but not 0.3>0.8 -> 3/4
    assert measured["roc_auc"].value == pytest.approx(0.75)
    assert measured["accuracy"].n == 4
    assert report.feedback == {
        "received": 6,
        "unmatched_request_id": 1,
        "ambiguous_multi_record": 0,
        "unknown_label": 1,
    }
    assert any("maybe" not in note and "not labels of the model" in note for note in report.notes)
    # Slices: M rows are n = 0, 2, 4 (labelled: 0 and 2), F rows n = 1, 3, 5 (labelled: 1, 3).
    assert report.slices["sex"]["M"]["accuracy"].value == pytest.approx(0.5)
    assert report.slices["sex"]["M"]["accuracy"].n == 2
    assert report.values()["performance.accuracy"] == pytest.approx(0.5)


def test_windows_split_the_log_by_day_and_intervals_narrow_with_more_labels(
    tmp_path: Path,
) -> None:
    rng = np.random.default_rng(7)
    records: list[LogRecord] = []
    labelled_per_day = {0: 40, 1: 400, 2: 4000}
    for day, count in labelled_per_day.items():
        p = rng.uniform(0, 1, size=count)
        outcome = rng.uniform(0, 1, size=count) < p  # calibrated by construction
        for n in range(count):
            request_id = _rid()
            when = T0 + day * DAY + n
            records.append(_prediction(request_id, when, [{"x": float(p[n])}], [float(p[n])]))
            records.append(_feedback(request_id, when + 1, CLASSES[int(outcome[n])]))
    report = performance_report(
        join_feedback(_write_log(tmp_path / "log", records)), task="binary", window="1D"
    )
    assert [w.labelled for w in report.windows] == [40, 400, 4000]
    widths = [
        w.measured["accuracy"].high - w.measured["accuracy"].low  # type: ignore[operator]
        for w in report.windows
    ]
    assert widths[0] > widths[1] > widths[2]
    # Calibrated probabilities: the estimate lands inside the measured interval (big window).
    big = report.windows[2]
    low, high = big.measured["accuracy"].low, big.measured["accuracy"].high
    assert low is not None and high is not None
    assert low <= big.estimated["accuracy"] <= high  # type: ignore[operator]
    assert big.measured["roc_auc"].value == pytest.approx(0.833, abs=0.03)  # E[AUC] for p~U(0,1)


def test_estimates_need_no_labels_and_flag_miscalibration(tmp_path: Path) -> None:
    """Overconfident probabilities: the estimate says 0.95, the labels say ~0.75."""
    rng = np.random.default_rng(3)
    records = []
    for n in range(3000):
        true_p = rng.choice([0.25, 0.75])
        shown = 0.95 if true_p > 0.5 else 0.05
        request_id = _rid()
        records.append(_prediction(request_id, T0 + n, [{"x": n}], [shown]))
        if n % 2 == 0:
            records.append(_feedback(request_id, T0 + n, CLASSES[int(rng.uniform() < true_p)]))
    report = performance_report(join_feedback(_write_log(tmp_path / "log", records)), task="binary")
    assert report.overall.estimated["accuracy"] == pytest.approx(0.95, abs=1e-6)
    measured = report.overall.measured["accuracy"]
    assert measured.value == pytest.approx(0.75, abs=0.03)
    assert measured.high is not None and measured.high < 0.9


def test_one_outcome_for_a_list_request_is_counted_not_guessed(tmp_path: Path) -> None:
    request_id = _rid()
    records = [
        _prediction(request_id, T0, [{"x": 1}, {"x": 2}], [0.9, 0.1]),
        _feedback(request_id, T0 + 1, ">50K"),
    ]
    scored = join_feedback(_write_log(tmp_path / "log", records))
    report = performance_report(scored, task="binary")
    assert report.overall.scored == 2 and report.overall.labelled == 0
    assert report.feedback["ambiguous_multi_record"] == 1
    assert report.overall.measured["accuracy"].value is None


def test_regression_outcomes_are_numbers(tmp_path: Path) -> None:
    ids = [_rid() for _ in range(3)]
    records = []
    for n, (request_id, predicted, truth) in enumerate(
        zip(ids, [10.0, 20.0, 30.0], [12, 18, 30], strict=True)
    ):
        response = {"request_id": request_id, "predictions": [predicted], "probabilities": None}
        records.append(
            LogRecord(request_id, T0 + n, "prediction", 200, "champion", "champion", "m", "1",
                      None, 1.0, 1, orjson.dumps({"x": n}), orjson.dumps(response))
        )  # fmt: skip
        records.append(_feedback(request_id, T0 + n, truth))
    report = performance_report(
        join_feedback(_write_log(tmp_path / "log", records)), task="regression"
    )
    assert report.overall.measured["mae"].value == pytest.approx(4 / 3)
    assert report.overall.measured["rmse"].value == pytest.approx(np.sqrt(8 / 3))
    assert report.overall.estimated == {}


def test_bad_settings_and_foreign_tables_are_clear_errors(tmp_path: Path) -> None:
    request_id = _rid()
    frame = _write_log(tmp_path / "log", [_prediction(request_id, T0, [{"x": 1}], [0.7])])
    scored = join_feedback(frame)
    with pytest.raises(ConfigError, match="positive class 'yes'"):
        performance_report(scored, task="binary", positive_class="yes")
    with pytest.raises(ConfigError, match="not a time frequency"):
        performance_report(scored, task="binary", window="weekly-ish")
    with pytest.raises(DataError, match="lacks the column"):
        join_feedback(pd.DataFrame({"age": [1, 2]}))


def test_operations_per_version_from_the_log(tmp_path: Path) -> None:
    records = [
        _prediction(_rid(), T0 + n, [{"x": n}], [0.6], version=str(1 + n % 2), latency_ms=float(n))
        for n in range(1, 101)
    ]
    records.append(_prediction(_rid(), T0 + 200, [{"x": 0}], [0.6], version="1", status=422))
    records.append(LogRecord(_rid(), T0 + 5, "shadow", 200, model_version="9", latency_ms=99.0))
    report = operations_report(_write_log(tmp_path / "log", records))
    total = next(line for line in report.lines if line.version == "all")
    assert total.requests == 101 and total.errors == 1
    assert total.error_rate == pytest.approx(1 / 101)
    assert total.p50_ms == pytest.approx(50.5)
    assert total.p99_ms == pytest.approx(99.01)
    assert total.requests_per_s == pytest.approx(101 / 199)
    by_version = {line.version: line for line in report.lines}
    assert by_version["1"].requests == 51 and by_version["2"].requests == 50
    assert report.shadow_requests == 1
    assert report.values()["ops.p99_ms"] == pytest.approx(99.01)
