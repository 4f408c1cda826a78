"""Fixtures of the batch tests: one German credit project trained once per session.

The project is trained by the real CLI (``boucle run``, LightGBM with default parameters) in
a session folder; the tests score copies of its rows through ``boucle predict`` and
:func:`boucle.batch.score_files`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from batch_helpers import Project, train_project


@pytest.fixture(scope="session")
def project(
    tmp_path_factory: pytest.TempPathFactory, german_path: Path, german: pd.DataFrame
) -> Project:
    """The German credit project, trained once per session (SQLite ledger and registry)."""
    return train_project(tmp_path_factory.mktemp("batch-project"), german_path, german)
