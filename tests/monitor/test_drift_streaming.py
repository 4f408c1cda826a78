"""Chunks in, the same answer out; memory does not grow with the number of rows."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from boucle.monitor import DriftReport, ReferenceProfile, compute_drift

if TYPE_CHECKING:
    from conftest import MixedFactory


def _fresh(mixed: MixedFactory) -> ReferenceProfile:
    return ReferenceProfile.from_frame(mixed(40_000, 1), sample_rows=0)


def _assert_same(a: DriftReport, b: DriftReport) -> None:
    assert a.drifted_features == b.drifted_features
    for x, y in zip(a.features, b.features, strict=True):
        assert (x.feature, x.n_current, x.p_values) == (y.feature, y.n_current, y.p_values)
        assert x.statistics == pytest.approx(y.statistics, rel=1e-9, abs=1e-12)
        assert (x.p_value, x.q_value, x.drifted) == (y.p_value, y.q_value, y.drifted)


@pytest.fixture(scope="module")
def shifted(mixed: MixedFactory) -> pd.DataFrame:
    frame = mixed(30_000, 2)
    frame["normal"] += 1.5  # a real shift, so the comparison covers a drifted feature too
    return frame


def test_chunked_frames_give_the_same_report_as_one_frame(
    mixed: MixedFactory, shifted: pd.DataFrame
) -> None:
    whole = compute_drift(_fresh(mixed), shifted)
    chunks = (shifted.iloc[i : i + 7_777] for i in range(0, len(shifted), 7_777))
    chunked = compute_drift(_fresh(mixed), chunks)
    assert chunked.runtime["chunks"] == 4 and chunked.runtime["rows"] == len(shifted)
    assert whole.drifted_features == ["normal"]
    _assert_same(whole, chunked)


def test_arrow_tables_batches_and_parquet_give_the_same_report(
    mixed: MixedFactory, shifted: pd.DataFrame, tmp_path: Path
) -> None:
    whole = compute_drift(_fresh(mixed), shifted)
    table = pa.Table.from_pandas(shifted, preserve_index=False)
    _assert_same(whole, compute_drift(_fresh(mixed), table))
    _assert_same(whole, compute_drift(_fresh(mixed), table.to_batches(max_chunksize=4_096)))
    path = tmp_path / "window.parquet"
    pq.write_table(table, path)
    batches = pq.ParquetFile(path).iter_batches(batch_size=10_000)
    _assert_same(whole, compute_drift(_fresh(mixed), batches))


def _peak_bytes(profile: ReferenceProfile, mixed: MixedFactory, rows: int) -> tuple[int, int]:
    # The chunks exist before tracing starts: what is measured is compute_drift's own memory.
    pool = [mixed(50_000, 100 + seed) for seed in range(3)]

    def chunks() -> Iterator[pd.DataFrame]:
        for i in range(rows // 50_000):
            yield pool[i % len(pool)]

    tracemalloc.start()
    try:
        report = compute_drift(profile, chunks())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.runtime["rows"] == rows
    return peak, len(report.drifted_features)


def test_memory_stays_flat_from_100k_to_1m_rows(mixed: MixedFactory) -> None:
    small, _ = _peak_bytes(_fresh(mixed), mixed, 100_000)
    large, drifted = _peak_bytes(_fresh(mixed), mixed, 1_000_000)
    assert drifted == 0
    # Ten times the rows, at most 1.3 times the peak: the peak is one chunk's worth.
    assert large < 1.3 * small, (small, large)
    one_column_of_1m_floats = 1_000_000 * 8
    assert large < one_column_of_1m_floats, large


MONITOR_WITHOUT_PANDAS = """
import sys
sys.modules["pandas"] = None  # importing either now fails: monitoring must not need them
sys.modules["pyarrow.compute"] = None
import pyarrow.parquet as pq
from boucle.monitor import ReferenceProfile, compute_drift

profile = ReferenceProfile.from_bytes(open(sys.argv[1], "rb").read())
categorical = [name for name, f in profile.features.items() if f.kind == "categorical"]
window = pq.ParquetFile(sys.argv[2], read_dictionary=categorical)
print(",".join(compute_drift(profile, window.iter_batches(batch_size=8_192)).drifted_features))
"""


def test_parquet_windows_are_monitored_without_pandas(
    mixed: MixedFactory, shifted: pd.DataFrame, tmp_path: Path
) -> None:
    # pandas and pyarrow.compute cost a monitoring process 0.7 s and 50 MiB to import.
    import subprocess
    import sys

    profile_path, window_path = tmp_path / "profile.json", tmp_path / "window.parquet"
    profile_path.write_bytes(_fresh(mixed).to_bytes())
    shifted.to_parquet(window_path, index=False, row_group_size=5_000)
    done = subprocess.run(
        [sys.executable, "-c", MONITOR_WITHOUT_PANDAS, str(profile_path), str(window_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == ",".join(compute_drift(_fresh(mixed), shifted).drifted_features)
    assert done.stdout.strip() == "normal"
