"""Batch scoring on a project whose ledger and registry live in PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from batch_helpers import train_project

from boucle.batch import score_files
from boucle.config import load_config
from boucle.ledger import Ledger

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def test_batch_scored_is_recorded_in_the_postgres_ledger(
    tmp_path: Path, german_path: Path, german: pd.DataFrame, postgres_url: str
) -> None:
    stores = f"stores: {{ledger: '{postgres_url}', tracking: '{postgres_url}'}}\n"
    project = train_project(tmp_path / "project", german_path, german, stores)
    assert not (project.folder / ".boucle" / "ledger.db").exists()
    project.features.head(300).to_parquet(tmp_path / "rows.parquet")
    result = score_files(
        load_config(project.config), tmp_path / "rows.parquet", tmp_path / "out.parquet"
    )
    assert (result.rows, result.engine, result.id_column) == (300, "local", "row_number")
    with Ledger(postgres_url) as ledger:
        (event,) = ledger.events(kind="batch_scored")
        (registered,) = ledger.events(kind="model_registered")
    assert event.payload["rows"] == 300 and event.payload["model"] == "german-batch"
    assert event.lineage_id == registered.lineage_id  # linked to the version's evidence
    scored = pd.read_parquet(tmp_path / "out.parquet")
    assert scored["row_number"].tolist() == list(range(300))
