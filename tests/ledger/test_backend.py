"""Opening a ledger: URL errors become LedgerError, SQLite is set up for concurrent writers."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from boucle.errors import LedgerError
from boucle.ledger import Ledger
from boucle.ledger.backend import mask_url


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql+psycopg://postgres@127.0.0.1:1/test", "cannot open the ledger at"),
        ("sqlite:////proc/nonexistent/x.db", "cannot create folder"),
        ("sqlite+pysqlite:////proc/nonexistent/x.db", "cannot create folder"),
        ("not a url at all", "is not a database URL"),
        ("mysql://user@localhost/db", "does not support"),
        ("postgresql+nosuchdriver://postgres@127.0.0.1/test", "cannot be loaded"),
    ],
)
def test_an_unusable_url_raises_ledger_error_naming_it(url: str, message: str) -> None:
    with pytest.raises(LedgerError) as caught:
        Ledger(url)
    assert message in str(caught.value)
    assert url in caught.value.message
    assert caught.value.hint  # always says how to fix it


def test_a_missing_postgres_database_raises_ledger_error() -> None:
    url = "postgresql+psycopg://postgres@127.0.0.1:5432/boucle_no_such_database"
    with pytest.raises(LedgerError, match="does not exist") as caught:
        Ledger(url)
    assert url in caught.value.message


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "postgresql+psycopg://postgres:s3cret@127.0.0.1:1/test",
            "postgresql+psycopg://postgres:***@127.0.0.1:1/test",
        ),
        ("postgresql://postgres:s3cret@host:port/test", "postgresql://postgres:***@host:port/test"),
    ],
)
def test_a_password_never_appears_in_the_message(url: str, shown: str) -> None:
    with pytest.raises(LedgerError) as caught:
        Ledger(url)
    assert "s3cret" not in str(caught.value)
    assert shown in str(caught.value)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql+psycopg://u:pw@h:5432/db", "postgresql+psycopg://u:***@h:5432/db"),
        ("sqlite:////a/b.db", "sqlite:////a/b.db"),
        # Unparseable (bad port): masked by pattern, not by SQLAlchemy.
        ("postgresql://u:pw@h:port/db", "postgresql://u:***@h:port/db"),
    ],
)
def test_mask_url(url: str, shown: str) -> None:
    assert mask_url(url) == shown


# Both SQLite implementations: Python's sqlite3 (plain URL) and SQLAlchemy (driver in the URL).
SQLITE_PREFIXES = pytest.mark.parametrize("prefix", ["sqlite:///", "sqlite+pysqlite:///"])


@SQLITE_PREFIXES
def test_sqlite_folder_is_created_and_wal_is_on(tmp_path: Path, prefix: str) -> None:
    path = tmp_path / "deep" / "er" / "ledger.db"
    with Ledger(f"{prefix}{path}") as ledger:
        ledger.append("run_started", {})
    with sqlite3.connect(path) as conn:
        (mode,) = conn.execute("PRAGMA journal_mode").fetchone()
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        (version,) = conn.execute(
            "SELECT value FROM boucle_ledger_meta WHERE key = 'schema_version'"
        ).fetchone()
    conn.close()
    assert mode == "wal"
    assert {"boucle_ledger_events", "boucle_ledger_meta"} <= tables
    assert version == "1"


@SQLITE_PREFIXES
def test_a_newer_schema_version_is_refused(tmp_path: Path, prefix: str) -> None:
    path = tmp_path / "ledger.db"
    Ledger(f"{prefix}{path}").close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE boucle_ledger_meta SET value = '99' WHERE key = 'schema_version'")
    conn.close()
    with pytest.raises(LedgerError, match="schema version is '99'"):
        Ledger(f"{prefix}{path}")


@SQLITE_PREFIXES
def test_a_write_held_too_long_by_someone_else_times_out_as_ledger_error(
    tmp_path: Path, prefix: str
) -> None:
    path = tmp_path / "ledger.db"
    url = f"{prefix}{path}"
    Ledger(url).close()
    blocker = sqlite3.connect(path, isolation_level=None)
    try:
        blocker.execute("BEGIN IMMEDIATE")
        with Ledger(url, timeout=0.3) as ledger, pytest.raises(LedgerError) as caught:
            ledger.append("run_started", {})
    finally:
        blocker.close()
    assert "database is locked" in str(caught.value)
    assert url in caught.value.message


def test_an_in_memory_sqlite_ledger_works() -> None:
    with Ledger("sqlite://") as ledger:
        ledger.append("run_started", {"n": 1})
        assert ledger.verify().ok


@SQLITE_PREFIXES
def test_a_file_that_is_not_a_database_raises_ledger_error(tmp_path: Path, prefix: str) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("these are not the tables you are looking for\n" * 20)
    with pytest.raises(LedgerError, match="file is not a database") as caught:
        Ledger(f"{prefix}{path}")
    assert str(path) in caught.value.message
