"""One loop at a time: the lock an iteration holds from monitoring to promotion.

Two locks, both released by the operating system or the database when the holder dies, so
a crashed loop never leaves a stale lock behind:

* an exclusive ``flock`` on ``loop.lock`` in the local store folder (``stores.root``, or
  ``.boucle`` beside boucle.yaml when the store is remote): loops on one machine;
* with a PostgreSQL ledger, a session advisory lock keyed by the project name in that
  database: loops on several machines sharing the ledger.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from boucle.errors import LedgerError
from boucle.loop.errors import LoopBusyError

if TYPE_CHECKING:
    from boucle.config import BoucleConfig

__all__ = ["lock_path", "loop_lock"]


def lock_path(config: BoucleConfig) -> Path:
    """The lock file of the project's loop."""
    from boucle.config import is_url

    root = config.stores.root
    folder = config.base_dir / ".boucle" if is_url(root) else Path(root)
    return folder / "loop.lock"


@contextmanager
def loop_lock(config: BoucleConfig) -> Iterator[None]:
    """Hold the project's loop lock; raise :class:`LoopBusyError` at once if it is taken."""
    with ExitStack() as stack:
        stack.enter_context(_file_lock(lock_path(config), config.project))
        ledger = config.stores.ledger or ""
        if ledger.startswith("postgresql"):
            stack.enter_context(_advisory_lock(ledger, config.project))
        yield


@contextmanager
def _file_lock(path: Path, project: str) -> Iterator[None]:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise LoopBusyError(
            f"cannot open the loop lock file '{path}': {exc.strerror or exc}.",
            hint="Check that stores.root is a writable folder.",
        ) from exc
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LoopBusyError(
                f"another `boucle loop` of project '{project}' is running (it holds {path}).",
                hint="Wait for it to finish; a loop started with --every keeps the lock only "
                "while an iteration runs.",
            ) from None
        yield
    finally:
        os.close(descriptor)  # closing the descriptor releases the flock


@contextmanager
def _advisory_lock(url: str, project: str) -> Iterator[None]:
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    from boucle.hashing import blake3_hex
    from boucle.ledger.backend import mask_url, open_engine

    key = {"key": int(blake3_hex(f"boucle.loop:{project}".encode())[:15], 16)}
    engine = open_engine(url, timeout=10.0)
    try:
        try:
            connection = engine.connect()
            taken = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), key).scalar()
            connection.commit()  # a session lock outlives the transaction
        except SQLAlchemyError as exc:
            raise LedgerError(
                f"cannot take the loop lock in the ledger database {mask_url(url)}: {exc}.",
                hint="Check that the PostgreSQL server of stores.ledger is reachable.",
            ) from exc
        with connection:
            if not taken:
                raise LoopBusyError(
                    f"another `boucle loop` of project '{project}' is running (it holds the "
                    f"loop lock in {mask_url(url)}).",
                    hint="Wait for it to finish: one loop per project runs at a time, on any "
                    "machine sharing this ledger.",
                )
            try:
                yield
            finally:
                try:
                    connection.execute(text("SELECT pg_advisory_unlock(:key)"), key)
                    connection.commit()
                except SQLAlchemyError:
                    pass  # ending the session below releases the lock as well
    finally:
        engine.dispose()  # closes the pooled session for good
