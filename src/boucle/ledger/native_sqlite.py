"""The ledger on Python's own ``sqlite3``: same schema and locking as the SQLAlchemy path.

Used for plain ``sqlite:///path`` URLs, the embedded default. Importing SQLAlchemy costs more
than a whole cached ``boucle run`` does otherwise, so the default path does without it. Writes
start with ``BEGIN IMMEDIATE`` (the write lock is taken *before* the last event is read, so
concurrent appenders form one chain), reads with ``BEGIN DEFERRED`` (never wait for a
writer, thanks to the WAL journal).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from boucle.errors import LedgerError
from boucle.ledger.database import COLUMNS, Row
from boucle.ledger.urls import URL_EXAMPLES, mask_url

__all__ = ["NativeSqlite"]

_T = TypeVar("_T")

SCHEMA_VERSION = "1"  # keep equal to boucle.ledger.schema.SCHEMA_VERSION (a test checks it)

# The schema of boucle.ledger.schema (same tables, columns, types and indexes), so that either
# implementation opens a ledger the other one created.
_DDL = (
    "CREATE TABLE IF NOT EXISTS boucle_ledger_events ("
    "idx BIGINT NOT NULL, time VARCHAR(40) NOT NULL, kind TEXT NOT NULL, lineage_id TEXT, "
    "run_id TEXT, actor TEXT NOT NULL, payload TEXT NOT NULL, prev_hash VARCHAR(64) NOT NULL, "
    "hash VARCHAR(64) NOT NULL, PRIMARY KEY (idx))",
    "CREATE INDEX IF NOT EXISTS ix_boucle_ledger_events_kind ON boucle_ledger_events (kind)",
    "CREATE INDEX IF NOT EXISTS ix_boucle_ledger_events_lineage_id "
    "ON boucle_ledger_events (lineage_id)",
    "CREATE INDEX IF NOT EXISTS ix_boucle_ledger_events_run_id ON boucle_ledger_events (run_id)",
    'CREATE TABLE IF NOT EXISTS boucle_ledger_meta ("key" VARCHAR(64) NOT NULL, '
    'value TEXT NOT NULL, PRIMARY KEY ("key"))',
)
_SELECT = f"SELECT {', '.join(COLUMNS)} FROM boucle_ledger_events"
_INSERT = (
    f"INSERT INTO boucle_ledger_events ({', '.join(COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in COLUMNS)})"
)
_FILTERS = frozenset({"run_id", "kind", "lineage_id"})


class NativeSqlite:
    """A :class:`~boucle.ledger.database.Database` over one ``sqlite3`` connection.

    The connection is opened on first use and shared by the threads of the process under a
    lock (a Ledger is opened once per process).
    """

    def __init__(self, path: str, *, url: str, timeout: float) -> None:
        self._path = path
        self._shown = mask_url(url)
        self._timeout = timeout
        self._connection: sqlite3.Connection | None = None
        self._lock = threading.RLock()

    def _conn(self) -> sqlite3.Connection:
        if self._connection is None:
            folder = Path(self._path).parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise LedgerError(
                    f"cannot create folder '{folder}' for the ledger at '{self._shown}': "
                    f"{exc.strerror}.",
                    hint=f"Choose a path in a writable folder, {URL_EXAMPLES}.",
                ) from exc
            conn = sqlite3.connect(
                self._path,
                timeout=self._timeout,
                isolation_level=None,  # we issue BEGIN ourselves
                check_same_thread=False,
            )
            try:
                conn.execute(f"PRAGMA busy_timeout = {int(self._timeout * 1000)}")
                conn.execute("PRAGMA journal_mode = WAL")
            except sqlite3.Error:
                conn.close()
                raise
            self._connection = conn
        return self._connection

    def _transaction(self, mode: str, work: Callable[[sqlite3.Connection], _T]) -> _T:
        with self._lock:
            conn = self._conn()
            conn.execute(f"BEGIN {mode}")
            try:
                result = work(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return result

    def ensure_schema(self) -> None:
        """Create the tables if missing; refuse a schema written by a newer boucle."""
        if self._transaction("DEFERRED", _schema_is_ready):
            return
        self._transaction("IMMEDIATE", _create_schema)

    def append(self, make_row: Callable[[int | None, str | None], dict[str, Any]]) -> None:
        """Under the write lock, read the last (idx, hash), build the new row, insert it."""

        def write(conn: sqlite3.Connection) -> None:
            last = conn.execute(
                "SELECT idx, hash FROM boucle_ledger_events ORDER BY idx DESC LIMIT 1"
            ).fetchone()
            row = make_row(None, None) if last is None else make_row(int(last[0]), str(last[1]))
            conn.execute(_INSERT, [row[column] for column in COLUMNS])

        self._transaction("IMMEDIATE", write)

    def select(self, filters: dict[str, str]) -> list[Row]:
        """Rows in chain order whose columns equal ``filters`` (run_id, kind, lineage_id)."""
        unknown = set(filters) - _FILTERS
        if unknown:
            raise ValueError(f"unknown ledger filter(s): {sorted(unknown)}")
        where = " AND ".join(f"{column} = ?" for column in filters)
        query = _SELECT + (f" WHERE {where}" if where else "") + " ORDER BY idx"
        values = list(filters.values())
        return self._transaction("DEFERRED", lambda conn: conn.execute(query, values).fetchall())

    def scan(self, consume: Callable[[Iterator[Row]], _T]) -> _T:
        """Stream every row in chain order to ``consume`` inside one read transaction."""

        def read(conn: sqlite3.Connection) -> _T:
            cursor = conn.execute(_SELECT + " ORDER BY idx")
            cursor.arraysize = 1000
            return consume(iter(cursor))

        return self._transaction("DEFERRED", read)

    def is_retryable(self, exc: Exception) -> bool:
        """Say whether ``exc`` is a transient conflict (lock busy, lost race) worth retrying."""
        message = str(exc).lower()
        if isinstance(exc, sqlite3.IntegrityError):
            return "unique constraint" in message
        if isinstance(exc, sqlite3.OperationalError):
            return "database is locked" in message or "database is busy" in message
        return False

    def is_database_error(self, exc: Exception) -> bool:
        """Say whether ``exc`` comes from the sqlite3 driver."""
        return isinstance(exc, sqlite3.Error)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None


def _schema_is_ready(conn: sqlite3.Connection) -> bool:
    tables = {
        name
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN (?, ?)",
            ("boucle_ledger_events", "boucle_ledger_meta"),
        )
    }
    if len(tables) < 2:
        return False
    _check_version(conn)
    return True


def _create_schema(conn: sqlite3.Connection) -> None:
    for statement in _DDL:
        conn.execute(statement)
    stored = _stored_version(conn)
    if stored is None:
        conn.execute(
            "INSERT INTO boucle_ledger_meta (\"key\", value) VALUES ('schema_version', ?)",
            (SCHEMA_VERSION,),
        )
    else:
        _check_version(conn)


def _stored_version(conn: sqlite3.Connection) -> str | None:
    row = conn.execute(
        "SELECT value FROM boucle_ledger_meta WHERE \"key\" = 'schema_version'"
    ).fetchone()
    return None if row is None else str(row[0])


def _check_version(conn: sqlite3.Connection) -> None:
    """Refuse a ledger written by a newer, incompatible boucle."""
    stored = _stored_version(conn)
    if stored is not None and stored != SCHEMA_VERSION:
        raise LedgerError(
            f"ledger schema version is '{stored}', this boucle reads version '{SCHEMA_VERSION}'.",
            hint="Upgrade boucle to the version that wrote this ledger.",
        )
