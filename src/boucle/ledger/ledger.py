"""The :class:`Ledger`: append events to the hash chain, read them back, verify the chain."""

from __future__ import annotations

import getpass
import json
import random
import socket
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self, TypeVar

from boucle.errors import LedgerError
from boucle.hashing import canonical_json
from boucle.ledger.chain import (
    GENESIS_HASH,
    LedgerEvent,
    StoredEvent,
    VerifyResult,
    event_hash,
    verify_chain,
)
from boucle.ledger.database import Database, Row, open_database
from boucle.ledger.urls import mask_url, translate_error

__all__ = ["Ledger", "default_actor"]

_T = TypeVar("_T")


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
        self._db: Database | None = open_database(url, timeout=timeout)
        try:
            self._retrying("open", self._live_db().ensure_schema)
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
        if self._db is not None:
            self._db.close()
            self._db = None

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

        appended: list[LedgerEvent] = []

        def make_row(last_index: int | None, last_hash: str | None) -> dict[str, Any]:
            fields: dict[str, Any] = {
                "index": 0 if last_index is None else last_index + 1,
                "time": datetime.now(UTC).isoformat(timespec="microseconds"),
                "kind": kind,
                "lineage_id": lineage_id,
                "run_id": run_id,
                "actor": who,
                "payload": stored_payload,
                "prev_hash": GENESIS_HASH if last_hash is None else last_hash,
            }
            new = LedgerEvent(**fields, hash=event_hash(**fields))
            appended[:] = [new]
            row = {**new.to_dict(), "payload": payload_json}
            row["idx"] = row.pop("index")
            return row

        def append_once() -> LedgerEvent:
            self._live_db().append(make_row)
            return appended[0]

        return self._retrying("append to", append_once)

    def events(
        self, run_id: str | None = None, kind: str | None = None, *, lineage_id: str | None = None
    ) -> list[LedgerEvent]:
        """Return the stored events in chain order, optionally only those matching filters."""
        filters = {"run_id": run_id, "kind": kind, "lineage_id": lineage_id}
        wanted = {column: value for column, value in filters.items() if value is not None}

        def read() -> list[LedgerEvent]:
            return [_to_event(row) for row in self._live_db().select(wanted)]

        return self._retrying("read", read)

    def verify(self, anchors: Mapping[int, str] | None = None) -> VerifyResult:
        """Recompute the whole hash chain and name the first altered, deleted or inserted event.

        See :func:`boucle.ledger.chain.verify_chain` for the checks. A chain cannot reveal
        that its *last* events were deleted: keep the head (``count - 1``, ``last_hash``)
        elsewhere and pass it in ``anchors`` ({index: hash}) on a later verify.
        """

        def consume(rows: Iterator[Row]) -> VerifyResult:
            return verify_chain((_stored(row) for row in rows), anchors)

        return self._retrying("verify", lambda: self._live_db().scan(consume))

    def _live_db(self) -> Database:
        if self._db is None:
            raise LedgerError(
                f"the ledger at '{self.url}' is closed.",
                hint="Open a new Ledger(url), or use it inside its `with` block.",
            )
        return self._db

    def _retrying(self, action: str, work: Callable[[], _T]) -> _T:
        """Run ``work``, retrying transient lock conflicts until ``timeout`` has passed."""
        deadline = time.monotonic() + self._timeout
        delay = 0.01
        while True:
            try:
                return work()
            except LedgerError:
                raise
            except Exception as exc:
                db = self._live_db()
                if not db.is_database_error(exc):
                    raise
                if not db.is_retryable(exc) or time.monotonic() >= deadline:
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


def _stored(row: Row) -> StoredEvent:
    """Wrap one row (columns in :data:`boucle.ledger.database.COLUMNS` order)."""
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


def _to_event(row: Row) -> LedgerEvent:
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
