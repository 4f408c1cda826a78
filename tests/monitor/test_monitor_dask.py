"""Drift of partitioned Parquet on a Dask LocalCluster: same report as one process, flat memory."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from boucle.errors import DataError
from boucle.monitor import ReferenceProfile, compute_drift
from boucle.monitor.distributed import (
    drift_partitioned,
    iter_chunks,
    parquet_source,
)
from boucle.plugins.protocols import DriftStatistic

if TYPE_CHECKING:
    from conftest import MixedFactory

pytestmark = pytest.mark.slow


class MeanShift:
    """A plug-in drift test: the mean's shift in reference standard deviations."""

    name = "mean_shift"
    kinds = ("numeric",)

    def compare(self, reference: Any, values: Any) -> DriftStatistic:
        present = values[~np.isnan(values)]
        return DriftStatistic(float((present.mean() - reference.mean) / (reference.std or 1.0)))


@pytest.fixture(scope="module")
def profile(mixed: MixedFactory) -> ReferenceProfile:
    return ReferenceProfile.from_frame(mixed(20_000, 1), sample_rows=0)


def _write_days(folder: Path, mixed: MixedFactory, days: int, rows: int) -> list[int]:
    """``days`` hive partitions ``date=...``; the later half drifts on ``normal`` and ``plan``."""
    sizes = []
    for day in range(days):
        frame = mixed(rows, 100 + day)
        if day >= days // 2:
            frame["normal"] = frame["normal"] + 3.0
            frame.loc[frame.index % 7 == 0, "plan"] = "enterprise"  # a category never seen
        part = folder / f"date=2026-11-{day + 1:02d}"
        part.mkdir(parents=True)
        table = pa.Table.from_pandas(frame, preserve_index=False)
        pq.write_table(table, part / "part-0.parquet", row_group_size=rows // 3)
        sizes.append(table.nbytes)
    return sizes


def _same_report(one: Any, other: Any) -> None:
    assert [r.feature for r in one.features] == [r.feature for r in other.features]
    assert one.drifted_features == other.drifted_features
    assert one.runtime["rows"] == other.runtime["rows"]
    for a, b in zip(one.features, other.features, strict=True):
        assert a.n_current == b.n_current and a.drifted == b.drifted
        assert a.p_values == pytest.approx(b.p_values, rel=1e-12, abs=1e-12)
        assert a.q_value == pytest.approx(b.q_value, rel=1e-12, abs=1e-12)
        for key, value in a.statistics.items():
            assert value == pytest.approx(b.statistics[key], rel=1e-9, abs=1e-12), key
        if a.kind == "numeric":
            for key in ("mean", "std"):
                assert a.details[key]["current"] == pytest.approx(b.details[key]["current"])
            assert a.details["range"] == b.details["range"]
        else:
            assert a.details == b.details


@pytest.mark.parametrize("processes", [False, True], ids=["threads", "processes"])
def test_dask_report_equals_the_streaming_one(
    tmp_path: Path, mixed: MixedFactory, profile: ReferenceProfile, processes: bool
) -> None:
    _write_days(tmp_path, mixed, days=6, rows=6_000)
    source = parquet_source(str(tmp_path))
    assert len(source.files) == 6
    features = list(profile.features)
    streamed = compute_drift(profile, iter_chunks(source, features), tests=[MeanShift()])
    on_dask = drift_partitioned(
        profile, source, tests=[MeanShift()], workers=2, processes=processes
    )
    _same_report(streamed, on_dask)
    assert set(on_dask.drifted_features) >= {"normal", "plan"}
    assert on_dask.feature("plan").details["unseen_examples"]["enterprise"] > 0
    assert on_dask.feature("normal").statistics["mean_shift"] == pytest.approx(
        streamed.feature("normal").statistics["mean_shift"]
    )
    assert on_dask.runtime["partitions"] == 6 and on_dask.runtime["engine"] == "dask"
    # A glob over the same files is the same source.
    assert parquet_source(str(tmp_path / "date=*" / "*.parquet")).files == source.files


def test_a_partition_with_other_columns_is_a_clear_error(
    tmp_path: Path, mixed: MixedFactory, profile: ReferenceProfile
) -> None:
    _write_days(tmp_path, mixed, days=2, rows=500)
    renamed = mixed(500, 9).rename(columns={"plan": "offer"})
    pq.write_table(pa.Table.from_pandas(renamed, preserve_index=False), tmp_path / "late.parquet")
    with pytest.raises(DataError, match=r"'plan' of the reference profile is not") as caught:
        drift_partitioned(profile, parquet_source(str(tmp_path)), workers=2)
    assert "late.parquet" in str(caught.value) and "'offer'" in str(caught.value)
    with pytest.raises(DataError, match="no Parquet file"):
        parquet_source(str(tmp_path / "nothing-*.parquet"))


def _worker_peak_growth(profile: ReferenceProfile, source: Any) -> int:
    """Bytes the single worker process's peak RSS grew by while scanning ``source``."""
    from distributed import Client, LocalCluster

    def reset_peak() -> int:  # Linux: writing 5 to clear_refs resets the peak RSS (VmHWM)
        Path("/proc/self/clear_refs").write_text("5")
        return _status_kib("VmRSS")

    with (
        LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
            scheduler_port=0, dashboard_address=None, silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as client,
    ):  # fmt: skip
        warm = type(source)(source.files[:1])
        drift_partitioned(profile, warm, client=client)  # imports and caches, once
        (before,) = client.run(reset_peak).values()
        drift_partitioned(profile, source, client=client)
        (peak,) = client.run(_status_kib, "VmHWM").values()
    return (int(peak) - int(before)) * 1024


def _status_kib(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1])
    raise AssertionError(f"{key} not in /proc/self/status")


def test_worker_memory_does_not_grow_with_the_partitions(
    tmp_path: Path, mixed: MixedFactory, profile: ReferenceProfile
) -> None:
    sizes = _write_days(tmp_path, mixed, days=16, rows=150_000)
    every = parquet_source(str(tmp_path))
    four = type(every)(every.files[:4])
    growth_4 = _worker_peak_growth(profile, four)
    growth_16 = _worker_peak_growth(profile, every)
    # Four times the rows: a scan that kept rows would grow about 4x (and by > 150 MB).
    assert growth_16 <= 1.5 * growth_4 + 16 * 2**20, (growth_4, growth_16)
    assert growth_16 < 0.25 * sum(sizes), (growth_16, sum(sizes))
