"""A/B analysis from the prediction log: difference with an interval, and a sample-size verdict."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from ab_log import write_ab_log

from boucle.errors import ConfigError, DataError
from boucle.monitor.ab import ab_report, required_per_arm
from boucle.monitor.feedback_join import join_feedback


def _log(folder: Path, arms: dict[str, tuple[int, float]], seed: int = 0) -> pd.DataFrame:
    return write_ab_log(folder, arms, seed)


def test_a_clearly_better_challenger_is_called_better(tmp_path: Path) -> None:
    frame = _log(tmp_path / "log", {"champion": (3000, 0.80), "challenger": (3000, 0.88)})
    report = ab_report(join_feedback(frame), task="binary", metric="accuracy", min_difference=0.05)
    assert report.a.labelled == 3000 and report.b.labelled == 3000
    assert report.difference == pytest.approx(0.08, abs=0.03)
    assert report.low is not None and report.low > 0
    assert report.p_value is not None and report.p_value < 1e-6
    assert report.enough_data
    assert report.verdict.startswith("challenger is better")


def test_a_small_sample_says_how_many_more_records_are_needed(tmp_path: Path) -> None:
    frame = _log(tmp_path / "log", {"champion": (150, 0.80), "challenger": (150, 0.81)})
    report = ab_report(join_feedback(frame), task="binary", min_difference=0.02)
    assert report.low is not None and report.low < 0 < report.high  # type: ignore[operator]
    assert not report.enough_data
    assert report.required_per_arm is not None and report.required_per_arm > 1000
    assert "more labelled records per arm needed" in report.verdict


def test_f1_and_precision_use_the_bootstrap(tmp_path: Path) -> None:
    frame = _log(tmp_path / "log", {"champion": (800, 0.7), "challenger": (800, 0.9)})
    report = ab_report(join_feedback(frame), task="binary", metric="f1", positive_class="yes")
    assert report.p_value is None and report.required_per_arm is None
    assert report.low is not None and report.low > 0


def test_sample_size_formula_matches_the_textbook() -> None:
    # 80 % vs 85 %, alpha 0.05, power 0.8: (1.96 + 0.8416)^2 * (0.16 + 0.1275) / 0.05^2 = 903.
    assert required_per_arm(0.80, 0.85, delta=0.05, alpha=0.05, power=0.8) == 903


def test_bad_requests_are_clear(tmp_path: Path) -> None:
    scored = join_feedback(_log(tmp_path / "log", {"champion": (20, 0.8)}))
    with pytest.raises(DataError, match=r"routed to 'challenger'.*routes seen: champion"):
        ab_report(scored, task="binary")
    with pytest.raises(ConfigError, match="not supported for classification"):
        ab_report(scored, task="binary", metric="roc_curve", b="champion")
    with pytest.raises(ConfigError, match="must be positive"):
        ab_report(scored, task="binary", b="champion", min_difference=0)
