"""The retrain window on a real serving log: rows, dtypes, the gates' holdout, the override."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from loop_helpers import TARGET, Periods

from boucle.config import BoucleConfig, load_config
from boucle.data import read_table
from boucle.loop import build_training_data, read_served, with_source
from boucle.store import ArtifactStore

pytestmark = pytest.mark.slow


def _config(project: Path, window: dict[str, object], holdout: float = 0.3) -> BoucleConfig:
    config = load_config(project)
    retrain = config.retrain.model_copy(
        update={
            "window": config.retrain.window.model_copy(update=window),
            "gate_holdout": holdout,
        }
    )
    return config.model_copy(update={"retrain": retrain})


def _rows(frame: pd.DataFrame) -> Counter[str]:
    """Each row as one text (missing values alike whatever their kind), counted."""
    text = frame.astype(object).where(frame.notna(), "-").astype(str)
    return Counter(text.agg("|".join, axis=1))


def test_reference_plus_recent_partitions_the_labelled_records(
    served_project: Path, periods: Periods
) -> None:
    config = _config(served_project, {"reference_rows": 1500})
    records = read_served(config)
    assert records is not None and len(records.labelled) == 4000 and records.unusable == 5
    store = ArtifactStore(config.stores.root)
    data = build_training_data(config, records, store)
    assert (data.source_rows, data.unusable_labels) == (1500, 5)  # "maybe" is no label
    assert data.gate_rows == round(0.3 * 4000) and data.recent_rows == 4000 - data.gate_rows
    assert data.source.startswith(config.stores.root) and data.digest in data.source
    table = read_table(data.source)
    gate = read_table(str(data.gate_path))
    source = pd.read_csv(config.data.source)
    assert list(table.columns) == list(source.columns) == list(gate.columns)
    assert dict(table.dtypes) == dict(source.dtypes)
    assert set(table[TARGET]) == set(gate[TARGET]) == {"<=50K", ">50K"}
    # The source rows are a sample of data.source; the rest are the labelled records, split
    # between training and the gates without overlap (as multisets: Adult has duplicates).
    assert not (_rows(table.head(1500)) - _rows(source))
    served = pd.concat([periods.control, periods.drifted], ignore_index=True)
    learnt = _rows(table.iloc[1500:]) + _rows(gate)
    assert learnt == _rows(served.astype(source.dtypes.to_dict()))
    again = build_training_data(config, read_served(config), store)
    assert (again.source, again.gate_path) == (data.source, data.gate_path)  # same rows, same file


def test_sliding_keeps_the_newest_rows_and_all_adds_everything(served_project: Path) -> None:
    store = ArtifactStore(load_config(served_project).stores.root)
    sliding = _config(served_project, {"mode": "sliding", "size": 3500})
    data = build_training_data(sliding, read_served(sliding), store)
    assert (data.rows, data.source_rows, data.recent_rows) == (3500, 700, 2800)
    table = read_table(data.source)
    newest = read_table(sliding.data.source).tail(700).reset_index(drop=True)
    pd.testing.assert_frame_equal(table.head(700), newest)
    everything = _config(served_project, {"mode": "all"}, holdout=0.0)
    data = build_training_data(everything, read_served(everything), store)
    assert (data.rows, data.source_rows, data.recent_rows) == (8000, 4000, 4000)
    assert data.gate_path is None and data.gate_rows == 0


def test_the_override_reads_the_new_table_and_leaves_boucle_yaml_alone(
    served_project: Path,
) -> None:
    before = served_project.read_bytes()
    config = _config(served_project, {"reference_rows": 1000})
    data = build_training_data(config, read_served(config), ArtifactStore(config.stores.root))
    override = with_source(config, data.source)
    assert (override.data.source, override.data.read) == (data.source, {})
    assert override.path == config.path and override.data.target == TARGET
    assert config.data.source.endswith("period1.csv")
    assert served_project.read_bytes() == before
    assert len(read_table(override.data.source, override.data.read)) == data.rows


def test_no_log_means_no_records(tmp_path: Path, adult_path: Path) -> None:
    (tmp_path / "boucle.yaml").write_text(
        f"project: p\ntask: classification\ndata: {{source: {adult_path}, target: income}}\n"
    )
    assert read_served(load_config(tmp_path / "boucle.yaml")) is None
