"""The :class:`Ledger`: append events to the hash chain, read them back, verify the chain."""

from __future__ import annotations

import getpass
import json
import random
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self, TypeVar

from sqlalchemy import Connection, Engine, insert, select
from sqlalchemy.exc import SQLAlchemyError

from boucle.errors import LedgerError
from boucle.hashing import canonical_json
from boucle.ledger.backend import (
    SQLITE_BEGIN_OPTION,
    is_retryable,
    lock_for_write,
    mask_url,
    open_engine,
    translate_error,
)
from boucle.ledger.chain import (
    GENESIS_HASH,
    LedgerEvent,
    StoredEvent,
    VerifyResult,
    event_hash,
    verify_chain,
)
from boucle.ledger.schema import create_schema, events_table, schema_is_ready

__all__ = ["Ledger", "default_actor"]

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


def default_actor() -> str:
    """Return ``user@hostname`` for the current process, the default ``actor`` of an event."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError, ImportError):  # no login name in env nor passwd (containers)
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


class Ledger:
    """An append-only, hash-chained audit ledger in SQLite or PostgreSQL.

    ``Ledger("sqlite:////abs/path/.boucle/ledger.db")`` or
    ``Ledger("postgresql+psycopg://user@host:5432/db")`` opens the ledger, creating its
    tables (and, for SQLite, the file's folder) if missing. Many processes may append to
    one ledger at once: appends are serialised by a database lock, so they always form one
    linear chain. Open one ``Ledger`` per process; ``timeout`` bounds how long (seconds) an
    append waits for that lock. Failures raise :class:`~boucle.errors.LedgerError`.
    """

    def __init__(self, url: str, *, timeout: float = 30.0) -> None:
        self._url = url
        self._timeout = timeout
        self._engine: Engine | None = open_engine(url, timeout=timeout)
        try:
            self._retrying("open", self._ensure_schema)
        except BaseException:
            self.close()
            raise

    @property
    def url(self) -> str:
        """The ledger's URL, password masked."""
        return mask_url(self._url)

    def __repr__(self) -> str:
        return f"Ledger('{self.url}')"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Release the database connections; the ledger cannot be used afterwards."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def append(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        run_id: str | None = None,
        lineage_id: str | None = None,
        actor: str | None = None,
    ) -> LedgerEvent:
        """Append one event at the end of the chain and return it as stored.

        ``kind`` names what happened (``run_started``, ``step_finished``, ``alias_set`` …);
        ``payload`` is a JSON object (str keys; no NaN or infinity). ``actor`` defaults to
        ``user@hostname``. The index, time and hashes are assigned under the write lock.
        """
        _check_text("kind", kind, required=True)
        _check_text("run_id", run_id, required=False)
        _check_text("lineage_id", lineage_id, required=False)
        _check_text("actor", actor, required=False)
        payload_json = _payload_json(payload)
        # Hash what a reader will get back: the payload after its JSON round-trip.
        stored_payload: dict[str, Any] = json.loads(payload_json)
        who = actor if actor is not None else default_actor()

        def append_once() -> LedgerEvent:
            with self._live_engine().begin() as conn:
                lock_for_write(conn)
                last = conn.execute(
                    select(events_table.c.idx, events_table.c.hash)
                    .order_by(events_table.c.idx.desc())
                    .limit(1)
                ).first()
                index = 0 if last is None else int(last.idx) + 1
                prev_hash = GENESIS_HASH if last is None else str(last.hash)
                fields: dict[str, Any] = {
                    "index": index,
                    "time": datetime.now(UTC).isoformat(timespec="microseconds"),
                    "kind": kind,
                    "lineage_id": lineage_id,
                    "run_id": run_id,
                    "actor": who,
                    "payload": stored_payload,
                    "prev_hash": prev_hash,
                }
                new = LedgerEvent(**fields, hash=event_hash(**fields))
                row = {**new.to_dict(), "payload": payload_json}
                row["idx"] = row.pop("index")
                conn.execute(insert(events_table).values(**row))
            return new

        return self._retrying("append to", append_once)

    def events(
        self, run_id: str | None = None, kind: str | None = None, *, lineage_id: str | None = None
    ) -> list[LedgerEvent]:
        """Return the stored events in chain order, optionally only those matching filters."""
        query = select(*_COLUMNS).order_by(events_table.c.idx)
        if run_id is not None:
            query = query.where(events_table.c.run_id == run_id)
        if kind is not None:
            query = query.where(events_table.c.kind == kind)
        if lineage_id is not None:
            query = query.where(events_table.c.lineage_id == lineage_id)

        def read() -> list[LedgerEvent]:
            with self._reading() as conn:
                return [_to_event(row) for row in conn.execute(query)]

        return self._retrying("read", read)

    def verify(self) -> VerifyResult:
        """Recompute the whole hash chain and name the first altered, deleted or inserted event.

        See :func:`boucle.ledger.chain.verify_chain` for the checks. A chain cannot reveal
        that its *last* events were deleted: keep ``VerifyResult.count`` and ``last_hash``
        elsewhere and compare them on the next verify to catch a truncated tail.
        """
        query = select(*_COLUMNS).order_by(events_table.c.idx).execution_options(yield_per=1000)

        def scan() -> VerifyResult:
            with self._reading() as conn:
                rows = conn.execute(query)
                return verify_chain(_stored(row) for row in rows)

        return self._retrying("verify", scan)

    def _live_engine(self) -> Engine:
        if self._engine is None:
            raise LedgerError(
                f"the ledger at '{self.url}' is closed.",
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

    def _ensure_schema(self) -> None:
        with self._reading() as conn:
            if schema_is_ready(conn):
                return
        with self._live_engine().begin() as conn:
            create_schema(conn)

    def _retrying(self, action: str, work: Callable[[], _T]) -> _T:
        """Run ``work``, retrying transient lock conflicts until ``timeout`` has passed."""
        deadline = time.monotonic() + self._timeout
        delay = 0.01
        while True:
            try:
                return work()
            except SQLAlchemyError as exc:
                if not is_retryable(exc) or time.monotonic() >= deadline:
                    raise translate_error(exc, action=action, url=self._url) from exc
            time.sleep(delay * (0.5 + random.random()))  # jitter: desynchronise the retriers
            delay = min(delay * 2, 0.5)


def _check_text(name: str, value: object, *, required: bool) -> None:
    if value is None and not required:
        return
    if not isinstance(value, str) or not value:
        raise LedgerError(
            f"ledger event {name} {value!r} is not a non-empty string.",
            hint=f"Pass {name} as a string such as 'run_started'."
            if name == "kind"
            else f"Pass {name} as a non-empty string, or leave it out.",
        )


def _payload_json(payload: object) -> str:
    if not isinstance(payload, dict):
        raise LedgerError(
            f"ledger payload must be a dict, got {type(payload).__name__}: {payload!r:.80}.",
            hint="Wrap the value in a dict, e.g. {'value': ...}.",
        )
    try:
        return canonical_json(payload).decode("utf-8")
    except (TypeError, ValueError) as exc:
        raise LedgerError(
            f"ledger payload is not JSON-serialisable: {exc}.",
            hint="Use str keys and JSON values only (str, int, float, bool, None, list, dict; "
            "no NaN or infinity); convert numpy values with .item() or .tolist().",
        ) from exc


def _stored(row: Sequence[Any]) -> StoredEvent:
    """Wrap one row selected with ``_COLUMNS`` (in that order)."""
    index, when, kind, lineage_id, run_id, actor, payload_json, prev_hash, hash_ = row
    return StoredEvent(
        index=int(index),
        time=when,
        kind=kind,
        lineage_id=lineage_id,
        run_id=run_id,
        actor=actor,
        payload_json=payload_json,
        prev_hash=prev_hash,
        hash=hash_,
    )


def _to_event(row: Sequence[Any]) -> LedgerEvent:
    stored = _stored(row)
    try:
        payload = json.loads(stored.payload_json)
    except ValueError as exc:
        raise LedgerError(
            f"ledger event {stored.index} has a payload that is not valid JSON.",
            hint="The ledger was altered outside boucle; run `boucle audit verify`.",
        ) from exc
    return LedgerEvent(
        index=stored.index,
        time=stored.time,
        kind=stored.kind,
        lineage_id=stored.lineage_id,
        run_id=stored.run_id,
        actor=stored.actor,
        payload=payload,
        prev_hash=stored.prev_hash,
        hash=stored.hash,
    )
