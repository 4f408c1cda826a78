"""Fixtures for the ledger tests: one ledger URL per backend, each test isolated.

SQLite ledgers live in ``tmp_path``; PostgreSQL ledgers live in a fresh database created for
the test and dropped after it, so tests can run in parallel (pytest-xdist) without clashing.
PostgreSQL tests are never skipped: an unreachable server fails them.
"""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """URL of a not-yet-existing SQLite ledger in a not-yet-existing folder of ``tmp_path``."""
    return f"sqlite:///{tmp_path / 'boucle' / 'ledger.db'}"


@pytest.fixture
def sqlalchemy_sqlite_url(tmp_path: Path) -> str:
    """The same SQLite ledger, but through SQLAlchemy (a driver in the URL selects it)."""
    return f"sqlite+pysqlite:///{tmp_path / 'boucle' / 'ledger.db'}"


@pytest.fixture(
    params=[
        "sqlite",
        "sqlite-sqlalchemy",
        pytest.param("postgresql", marks=pytest.mark.postgres),
    ]
)
def ledger_url(request: pytest.FixtureRequest) -> str:
    """A fresh ledger URL on each implementation: ``sqlite:///`` (Python's sqlite3),
    ``sqlite+pysqlite:///`` (SQLAlchemy), PostgreSQL in a new database (SQLAlchemy)."""
    fixture = {
        "sqlite": "sqlite_url",
        "sqlite-sqlalchemy": "sqlalchemy_sqlite_url",
        "postgresql": "postgres_url",
    }[request.param]
    url: str = request.getfixturevalue(fixture)
    return url
