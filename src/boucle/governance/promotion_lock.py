"""One promotion at a time per model: a lock held across processes while an alias moves.

A promotion reads the current champion, checks the policy against it, moves the alias in the
registry and appends ``alias_set`` + ``model_promoted``. Two promotions interleaving those
steps could both pass a champion gate against the same champion, or leave the registry on one
version and the ledger's last ``model_promoted`` on another. :func:`promotion_lock` serialises
the whole check-and-move with a lock that lives where the ledger lives, so it covers every
process (and, on PostgreSQL, every machine) that can write that ledger:

* **PostgreSQL**: a session-level advisory lock (``pg_advisory_lock`` under a
  ``lock_timeout``) on a key derived from the model name, on a connection of its own. The
  server drops it when that connection ends, so a crashed promoter never leaves a stale lock.
* **SQLite**: a ``BEGIN IMMEDIATE`` transaction on a small lock database next to the ledger
  file (``ledger.db`` → ``ledger.db.promotion-lock``). It cannot be the ledger file itself:
  SQLite locks whole files, so holding it would block our own appends. The operating system
  releases the file lock when the holder dies: again no stale lock to time out.
* An in-memory SQLite ledger is private to one process: no lock is needed.

A lock file created with ``O_EXCL`` in the artifact store was the alternative; it needs a
stale-lock timeout (a crash leaves the file) and cannot be made exclusive on S3, while the
ledger's database is already shared by everyone who promotes.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from boucle.errors import LedgerError
from boucle.hashing import blake3_hex
from boucle.ledger.urls import mask_url, native_sqlite_path

__all__ = ["DEFAULT_LOCK_TIMEOUT", "lock_key", "promotion_lock", "sqlite_lock_path"]

DEFAULT_LOCK_TIMEOUT = 120.0
"""Seconds a promotion waits for another promotion of the same model to finish."""

_SUFFIX = ".promotion-lock"


def lock_key(model: str) -> int:
    """The PostgreSQL advisory-lock key of ``model`` (60 bits of blake3; fits a bigint)."""
    return int(blake3_hex(f"boucle.promotion:{model}".encode())[:15], 16)


def sqlite_lock_path(ledger_url: str) -> Path | None:
    """The lock database beside an SQLite ledger file; None for in-memory or other backends."""
    path = native_sqlite_path(ledger_url)
    if path is None and ledger_url.startswith("sqlite"):
        from sqlalchemy.engine import make_url

        database = make_url(ledger_url).database or ""
        in_memory = database in ("", ":memory:") or database.startswith("file:")
        path = None if in_memory else database
    return None if path is None else Path(path).with_name(Path(path).name + _SUFFIX)


@contextmanager
def promotion_lock(
    ledger_url: str, model: str, *, timeout: float = DEFAULT_LOCK_TIMEOUT
) -> Iterator[None]:
    """Hold the promotion lock of ``model`` on the ledger at ``ledger_url`` for the block.

    Waits at most ``timeout`` seconds, then raises :class:`LedgerError` naming the model.
    """
    if ledger_url.startswith("postgresql"):
        with _postgres_lock(ledger_url, model, timeout):
            yield
        return
    path = sqlite_lock_path(ledger_url)
    if path is None:
        yield
        return
    with _sqlite_lock(path, model, timeout, ledger_url):
        yield


def _busy(model: str, url: str, timeout: float) -> LedgerError:
    return LedgerError(
        f"another promotion or rollback of '{model}' has held the promotion lock on the ledger "
        f"at '{mask_url(url)}' for more than {timeout:g} s.",
        hint="Wait for it to finish and try again; a process stuck in `boucle promote` "
        "releases the lock when it is stopped.",
    )


@contextmanager
def _sqlite_lock(path: Path, model: str, timeout: float, url: str) -> Iterator[None]:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=timeout, isolation_level=None)
    except (OSError, sqlite3.Error) as exc:
        raise LedgerError(
            f"cannot open the promotion lock '{path}': {exc}.",
            hint="The ledger's folder must be writable by everyone who promotes.",
        ) from exc
    try:
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS boucle_promotion_lock "
                "(model TEXT PRIMARY KEY, holder TEXT NOT NULL, since TEXT NOT NULL)"
            )
            conn.execute("BEGIN IMMEDIATE")  # waits up to `timeout` (the busy timeout)
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise _busy(model, url, timeout) from exc
            raise LedgerError(
                f"cannot take the promotion lock '{path}': {exc}.",
                hint="Check that the file is a SQLite database boucle created, or delete it "
                "(it holds no data).",
            ) from exc
        try:
            # Informational: who holds it (readable with sqlite3 while the holder runs).
            conn.execute(
                "INSERT OR REPLACE INTO boucle_promotion_lock VALUES (?, ?, ?)",
                (model, _holder(), datetime.now(UTC).isoformat()),
            )
            yield
        finally:
            conn.execute("ROLLBACK")
    finally:
        conn.close()


@contextmanager
def _postgres_lock(url: str, model: str, timeout: float) -> Iterator[None]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.pool import NullPool

    from boucle.ledger.urls import translate_error

    key = lock_key(model)
    engine = create_engine(url, poolclass=NullPool)
    try:
        try:
            conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        except SQLAlchemyError as exc:
            raise translate_error(exc, action="take the promotion lock on", url=url) from exc
        try:
            try:
                # Waiters queue on the server and wake as soon as the holder is done.
                conn.execute(text(f"SET lock_timeout = {max(1, int(timeout * 1000))}"))
                conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
            except SQLAlchemyError as exc:
                if getattr(getattr(exc, "orig", None), "sqlstate", None) == "55P03":
                    raise _busy(model, url, timeout) from exc
                raise translate_error(exc, action="take the promotion lock on", url=url) from exc
            try:
                yield
            finally:
                with contextlib.suppress(SQLAlchemyError):  # closing drops the lock anyway
                    conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
        finally:
            conn.close()
    finally:
        engine.dispose()


def _holder() -> str:
    import os

    from boucle.ledger.ledger import default_actor

    return f"{default_actor()} pid {os.getpid()}"
