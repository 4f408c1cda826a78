"""Fixtures of the loop tests: the Adult periods and one served project with real traffic.

``served_project`` is trained once per session with the real CLI (champion v1 on period 1),
served with the real ``boucle serve`` on a free port, and sent the control period and the
drifted period through ``/predict`` and ``/feedback`` (plus five outcomes that are not labels
of the model). The server is stopped before the tests read the log. Tests that change the
project's registry (a retrain) build their own project instead.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from loop_helpers import Periods, adult_periods, boucle, serving, write_project


@pytest.fixture(scope="session")
def periods(adult: pd.DataFrame) -> Periods:
    """Adult cut into the training period, the control and the drifted period."""
    return adult_periods(adult)


@pytest.fixture(scope="session")
def served_project(tmp_path_factory: pytest.TempPathFactory, periods: Periods) -> Path:
    """boucle.yaml of a trained Adult project whose serving log holds labelled traffic."""
    folder = tmp_path_factory.mktemp("served-project")
    source = folder / "period1.csv"
    periods.train.to_csv(source, index=False)
    project = write_project(folder, source)
    done = boucle("run", cwd=folder)
    assert done.returncode == 0, done.stderr
    with serving(project) as served:
        served.score(periods.control, label=True)
        served.score(periods.drifted, label=True)
        served.score(periods.held_out.head(5).assign(income="maybe"), label=True)
        served.score(periods.held_out.tail(200), label=False)
        served.flushed()
    return project
