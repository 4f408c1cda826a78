"""Fixtures of the governance tests: ledger URLs on both backends, config texts, projects."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from boucle.config import BoucleConfig, parse_config


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def gov_ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh ledger URL: SQLite inside tmp_path/.boucle, or a new PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / '.boucle' / 'ledger.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def make_config(tmp_path: Path, gov_ledger_url: str) -> Callable[..., BoucleConfig]:
    """Build a validated config in tmp_path (ledger = gov_ledger_url) from YAML blocks."""
    (tmp_path / "monitoring.md").write_text("# Post-market monitoring plan\n")

    def make(*blocks: str) -> BoucleConfig:
        text = (
            "project: credit\ntask: classification\n"
            "data: {source: german.csv, target: creditability, positive_class: bad}\n"
            f"stores: {{ledger: '{gov_ledger_url}'}}\n" + "".join(blocks)
        )
        return parse_config(text, source=tmp_path / "boucle.yaml", env={})

    return make


@pytest.fixture
def german_sample(tmp_path: Path, german: pd.DataFrame) -> Path:
    """300 rows of the German credit data in tmp_path/german.csv (fast training)."""
    path = tmp_path / "german.csv"
    german.sample(300, random_state=0).to_csv(path, index=False)
    return path
