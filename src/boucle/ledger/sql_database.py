"""The ledger through SQLAlchemy: PostgreSQL, and SQLite URLs with a driver or options."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, insert, select
from sqlalchemy.exc import SQLAlchemyError

from boucle.errors import LedgerError
from boucle.ledger.backend import SQLITE_BEGIN_OPTION, is_retryable, lock_for_write, open_engine
from boucle.ledger.database import Row
from boucle.ledger.schema import create_schema, events_table, schema_is_ready
from boucle.ledger.urls import mask_url

__all__ = ["SqlAlchemyDatabase"]

_T = TypeVar("_T")

_COLUMNS = (
    events_table.c.idx,
    events_table.c.time,
    events_table.c.kind,
    events_table.c.lineage_id,
    events_table.c.run_id,
    events_table.c.actor,
    events_table.c.payload,
    events_table.c.prev_hash,
    events_table.c.hash,
)


class SqlAlchemyDatabase:
    """A :class:`~boucle.ledger.database.Database` over a SQLAlchemy engine (pooled)."""

    def __init__(self, url: str, *, timeout: float) -> None:
        self._shown = mask_url(url)
        self._engine: Engine | None = open_engine(url, timeout=timeout)

    def _live_engine(self) -> Engine:
        if self._engine is None:
            raise LedgerError(
                f"the ledger at '{self._shown}' is closed.",
                hint="Open a new Ledger(url), or use it inside its `with` block.",
            )
        return self._engine

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        """A read-only transaction; on SQLite it starts DEFERRED so it never waits for writers."""
        with self._live_engine().connect() as conn:
            conn.execution_options(**{SQLITE_BEGIN_OPTION: "DEFERRED"})
            with conn.begin():
                yield conn

    def ensure_schema(self) -> None:
        """Create the tables if missing; refuse a schema written by a newer boucle."""
        with self._reading() as conn:
            if schema_is_ready(conn):
                return
        with self._live_engine().begin() as conn:
            create_schema(conn)

    def append(self, make_row: Callable[[int | None, str | None], dict[str, Any]]) -> None:
        """Under the write lock, read the last (idx, hash), build the new row, insert it."""
        with self._live_engine().begin() as conn:
            lock_for_write(conn)
            last = conn.execute(
                select(events_table.c.idx, events_table.c.hash)
                .order_by(events_table.c.idx.desc())
                .limit(1)
            ).first()
            row = make_row(None, None) if last is None else make_row(int(last.idx), str(last.hash))
            conn.execute(insert(events_table).values(**row))

    def select(self, filters: dict[str, str]) -> list[Row]:
        """Rows in chain order whose columns equal ``filters`` (run_id, kind, lineage_id)."""
        query = select(*_COLUMNS).order_by(events_table.c.idx)
        for column, value in filters.items():
            query = query.where(events_table.c[column] == value)
        with self._reading() as conn:
            return [tuple(row) for row in conn.execute(query)]

    def scan(self, consume: Callable[[Iterator[Row]], _T]) -> _T:
        """Stream every row in chain order to ``consume`` inside one read transaction."""
        query = select(*_COLUMNS).order_by(events_table.c.idx).execution_options(yield_per=1000)
        with self._reading() as conn:
            return consume(iter(conn.execute(query)))

    def is_retryable(self, exc: Exception) -> bool:
        """Say whether ``exc`` is a transient conflict (lock busy, lost race) worth retrying."""
        return isinstance(exc, SQLAlchemyError) and is_retryable(exc)

    def is_database_error(self, exc: Exception) -> bool:
        """Say whether ``exc`` comes from SQLAlchemy or its driver."""
        return isinstance(exc, SQLAlchemyError)

    def close(self) -> None:
        """Dispose of the engine's connections."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
