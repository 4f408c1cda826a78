"""The ledger's two tables and their creation, guarded by the write lock.

``boucle_ledger_events`` holds the chain, one row per event; ``idx`` is the primary key, so
two writers can never store the same index (a safety net under the write lock).
``boucle_ledger_meta`` holds key/value rows, today only ``schema_version``.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    MetaData,
    String,
    Table,
    Text,
    insert,
    inspect,
    select,
)

from boucle.errors import LedgerError
from boucle.ledger.backend import lock_for_write

__all__ = [
    "SCHEMA_VERSION",
    "create_schema",
    "events_table",
    "meta_table",
    "metadata",
    "schema_is_ready",
]

SCHEMA_VERSION = "1"

metadata = MetaData()

events_table = Table(
    "boucle_ledger_events",
    metadata,
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    # Text, not a timestamp type: the exact string is hashed, so it must round-trip unchanged.
    Column("time", String(40), nullable=False),
    Column("kind", Text, nullable=False, index=True),
    Column("lineage_id", Text, nullable=True, index=True),
    Column("run_id", Text, nullable=True, index=True),
    Column("actor", Text, nullable=False),
    Column("payload", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

meta_table = Table(
    "boucle_ledger_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)


def schema_is_ready(conn: Connection) -> bool:
    """Say whether both tables exist (and check the stored schema version if they do)."""
    inspector = inspect(conn)
    if not (inspector.has_table(events_table.name) and inspector.has_table(meta_table.name)):
        return False
    _check_version(conn)
    return True


def create_schema(conn: Connection) -> None:
    """Create the tables and the version row if missing, inside ``conn``'s transaction.

    Takes the write lock first, so processes opening a new ledger at once do not race.
    """
    lock_for_write(conn)
    metadata.create_all(conn, checkfirst=True)
    stored = conn.execute(
        select(meta_table.c.value).where(meta_table.c.key == "schema_version")
    ).scalar_one_or_none()
    if stored is None:
        conn.execute(insert(meta_table).values(key="schema_version", value=SCHEMA_VERSION))
    else:
        _check_version(conn)


def _check_version(conn: Connection) -> None:
    """Refuse a ledger written by a newer, incompatible boucle."""
    stored = conn.execute(
        select(meta_table.c.value).where(meta_table.c.key == "schema_version")
    ).scalar_one_or_none()
    if stored is not None and stored != SCHEMA_VERSION:
        raise LedgerError(
            f"ledger schema version is '{stored}', this boucle reads version '{SCHEMA_VERSION}'.",
            hint="Upgrade boucle to the version that wrote this ledger.",
        )
