"""Open the ledger's database and translate its failures into :class:`LedgerError`.

Two backends, one rule: appends are serialised by the database itself, so many processes
can append to one ledger and still build a single linear chain.

* SQLite: WAL journal (readers never block the writer), a busy timeout, and every write
  transaction starts with ``BEGIN IMMEDIATE`` so the write lock is taken *before* the last
  event is read. Python's sqlite3 would otherwise start transactions lazily, at the INSERT.
* PostgreSQL: a transaction-level advisory lock (``pg_advisory_xact_lock``), released by
  COMMIT or ROLLBACK; it also guards table creation, which needs no table to lock.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import URL, Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, SQLAlchemyError

from boucle.errors import LedgerError
from boucle.hashing import blake3_hex
from boucle.ledger.urls import URL_EXAMPLES, mask_url, translate_error

__all__ = ["is_retryable", "lock_for_write", "mask_url", "open_engine", "translate_error"]

SUPPORTED_BACKENDS = ("postgresql", "sqlite")

# Execution option naming the BEGIN mode of an SQLite transaction: reads use DEFERRED so that
# they never wait for (or block) an appender; writes use the default, IMMEDIATE.
SQLITE_BEGIN_OPTION = "boucle_sqlite_begin"

# One advisory-lock key for every ledger table; advisory locks are scoped to one database.
_PG_LOCK_KEY = int(blake3_hex(b"boucle.ledger.append")[:15], 16)


def open_engine(url: str, *, timeout: float) -> Engine:
    """Create the SQLAlchemy engine for ``url``, configured for safe concurrent appends.

    Raises :class:`LedgerError` for a garbage URL, an unsupported backend or driver, or an
    SQLite folder that cannot be created. Does not connect yet.
    """
    shown = mask_url(url)
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise LedgerError(
            f"ledger URL '{shown}' is not a database URL.",
            hint=f"Use a SQLAlchemy URL, {URL_EXAMPLES}.",
        ) from exc
    backend = parsed.get_backend_name()
    if backend not in SUPPORTED_BACKENDS:
        raise LedgerError(
            f"ledger URL '{shown}' uses backend '{backend}', which the ledger does not support.",
            hint=f"Use SQLite or PostgreSQL, {URL_EXAMPLES}.",
        )
    try:
        if backend == "sqlite":
            return _sqlite_engine(parsed, shown, timeout)
        return _postgres_engine(parsed, timeout)
    except (ArgumentError, ImportError) as exc:
        raise LedgerError(
            f"ledger URL '{shown}' names driver '{parsed.drivername}', "
            f"which cannot be loaded: {exc}.",
            hint=f"Use a driver that is installed, {URL_EXAMPLES}.",
        ) from exc


def lock_for_write(conn: Connection) -> None:
    """Take the ledger's write lock for the rest of ``conn``'s current transaction.

    On SQLite the lock is already held: the transaction began with ``BEGIN IMMEDIATE``.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})


def is_retryable(exc: SQLAlchemyError) -> bool:
    """Say whether ``exc`` is a transient conflict worth retrying (lock busy, lost race)."""
    if not isinstance(exc, DBAPIError):
        return False
    message = str(exc.orig).lower()
    if isinstance(exc, IntegrityError):
        # Another writer took our index (one that skipped the lock): read the new end, retry.
        return getattr(exc.orig, "sqlstate", None) == "23505" or "unique constraint" in message
    if getattr(exc.orig, "sqlstate", None) in {"40001", "40P01", "55P03"}:
        return True  # serialization failure, deadlock, lock not available
    return "database is locked" in message or "database is busy" in message


def _sqlite_engine(parsed: URL, shown: str, timeout: float) -> Engine:
    """Engine for SQLite: parent folder created, WAL, busy timeout, BEGIN IMMEDIATE writes."""
    database = parsed.database or ""
    in_memory = database in ("", ":memory:") or database.startswith("file::memory:")
    if not in_memory and not parsed.query.get("uri"):
        folder = Path(database).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LedgerError(
                f"cannot create folder '{folder}' for the ledger at '{shown}': {exc.strerror}.",
                hint=f"Choose a path in a writable folder, {URL_EXAMPLES}.",
            ) from exc
    engine = create_engine(parsed, connect_args={"timeout": timeout})
    busy_ms = int(timeout * 1000)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Hand transaction control to SQLAlchemy's "begin" event below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {busy_ms}")
            if not in_memory:
                cursor.execute("PRAGMA journal_mode = WAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get(SQLITE_BEGIN_OPTION, "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {'DEFERRED' if mode == 'DEFERRED' else 'IMMEDIATE'}")

    return engine


def _postgres_engine(parsed: URL, timeout: float) -> Engine:
    """Engine for PostgreSQL, failing fast on an unreachable host."""
    connect_args: dict[str, Any] = {}
    if (
        parsed.get_driver_name() in ("psycopg", "psycopg2")
        and "connect_timeout" not in parsed.query
    ):
        connect_args["connect_timeout"] = max(1, int(min(timeout, 10)))
    return create_engine(parsed, connect_args=connect_args, pool_pre_ping=True)
