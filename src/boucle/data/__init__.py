"""Data sources: readers, content-addressed snapshots and table fingerprints.

pandas and pyarrow are imported inside the functions, so importing this package stays cheap.
"""

from __future__ import annotations

from boucle.data.fingerprint import table_fingerprint
from boucle.data.readers import SUPPORTED_EXTENSIONS, hash_source, read_table, table_format
from boucle.data.snapshot import (
    ColumnSchema,
    Snapshot,
    get_snapshot,
    load_snapshot,
    snapshot_table,
)

__all__ = [
    "SUPPORTED_EXTENSIONS",
    "ColumnSchema",
    "Snapshot",
    "get_snapshot",
    "hash_source",
    "load_snapshot",
    "read_table",
    "snapshot_table",
    "table_fingerprint",
    "table_format",
]
