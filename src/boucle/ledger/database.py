"""What the :class:`~boucle.ledger.Ledger` needs from a database, and how one is opened.

Two implementations share one schema (so either can open a ledger the other wrote):
:mod:`boucle.ledger.native_sqlite` (Python's ``sqlite3``, for ``sqlite:///path``) and
:mod:`boucle.ledger.sql_database` (SQLAlchemy: PostgreSQL and every other SQLite URL).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol, TypeVar

__all__ = ["Database", "Row", "open_database"]

_T = TypeVar("_T")

Row = Sequence[Any]
"""One event row: idx, time, kind, lineage_id, run_id, actor, payload, prev_hash, hash."""

COLUMNS = ("idx", "time", "kind", "lineage_id", "run_id", "actor", "payload", "prev_hash", "hash")


class Database(Protocol):
    """The storage side of the ledger. Every method runs one transaction."""

    def ensure_schema(self) -> None:
        """Create the tables if missing; refuse a schema written by a newer boucle."""

    def append(self, make_row: Callable[[int | None, str | None], dict[str, Any]]) -> None:
        """Under the write lock, read the last (idx, hash), build the new row, insert it."""

    def select(self, filters: dict[str, str]) -> list[Row]:
        """Rows in chain order whose columns equal ``filters`` (run_id, kind, lineage_id)."""

    def scan(self, consume: Callable[[Iterator[Row]], _T]) -> _T:
        """Stream every row in chain order to ``consume`` inside one read transaction."""

    def is_retryable(self, exc: Exception) -> bool:
        """Say whether ``exc`` is a transient conflict (lock busy, lost race) worth retrying."""

    def is_database_error(self, exc: Exception) -> bool:
        """Say whether ``exc`` comes from the database driver (to translate into LedgerError)."""

    def close(self) -> None:
        """Release connections."""


def open_database(url: str, *, timeout: float) -> Database:
    """The fastest database implementation that can open ``url``."""
    from boucle.ledger.urls import native_sqlite_path

    path = native_sqlite_path(url)
    if path is not None:
        from boucle.ledger.native_sqlite import NativeSqlite

        return NativeSqlite(path, url=url, timeout=timeout)
    from boucle.ledger.sql_database import SqlAlchemyDatabase

    return SqlAlchemyDatabase(url, timeout=timeout)
