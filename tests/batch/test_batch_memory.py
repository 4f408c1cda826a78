"""Memory stays flat in the input size: 4x the rows, about the same peak (tracemalloc)."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pandas as pd
import pytest
from batch_helpers import Project

from boucle.batch import score_files
from boucle.config import load_config

pytestmark = pytest.mark.slow
CHUNK_ROWS = 2_000


def _rows(project: Project, count: int) -> pd.DataFrame:
    return project.features.sample(count, replace=True, random_state=0).reset_index(drop=True)


def _peak_bytes(project: Project, source: Path, output: Path) -> int:
    config = load_config(project.config)
    tracemalloc.reset_peak()
    before, _ = tracemalloc.get_traced_memory()
    result = score_files(config, source, output, chunk_rows=CHUNK_ROWS)
    _, peak = tracemalloc.get_traced_memory()
    assert result.rows == len(pd.read_parquet(output, columns=["row_number"]))
    return peak - before


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_peak_memory_does_not_grow_with_the_number_of_rows(
    project: Project, tmp_path: Path, suffix: str
) -> None:
    sizes = (15_000, 60_000)
    for count in (500, *sizes):
        rows = _rows(project, count)
        path = tmp_path / f"rows-{count}{suffix}"
        if suffix == ".parquet":
            rows.to_parquet(path, row_group_size=CHUNK_ROWS, index=False)
        else:
            rows.to_csv(path, index=False)
    tracemalloc.start()
    try:
        _peak_bytes(project, tmp_path / f"rows-500{suffix}", tmp_path / "warm.parquet")
        small, large = (
            _peak_bytes(project, tmp_path / f"rows-{count}{suffix}", tmp_path / f"{count}.parquet")
            for count in sizes
        )
    finally:
        tracemalloc.stop()
    # Holding the rows would take 4x; chunks keep the peak near one chunk's worth.
    assert large < 1.5 * small, (small, large)
    assert large < 60_000 * 200  # far below the ~600 bytes per row of the whole table
