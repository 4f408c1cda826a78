"""Immutable, content-addressed Parquet snapshots of a table in the artifact store.

A snapshot's id is the fingerprint of its *data* (:func:`boucle.data.fingerprint.
table_fingerprint` of the table as stored), so the same data gives the same id on any
machine and library version, and a changed value gives a new one. The Parquet file itself
is an object of the store (zstd, no pandas index); ``snapshots/<id>.json`` records the
object digest, rows, schema, source and source hash. That manifest is written once: a later
snapshot of identical data reuses it and does no work.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from boucle.data.fingerprint import table_fingerprint
from boucle.data.readers import hash_source, read_table
from boucle.errors import DataError, IntegrityError, StoreError
from boucle.store import ArtifactStore, validate_digest

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

__all__ = ["ColumnSchema", "Snapshot", "get_snapshot", "load_snapshot", "snapshot_table"]

SNAPSHOT_FORMAT = "boucle.snapshot.v1"
_IN_MEMORY = "<DataFrame>"


@dataclass(frozen=True)
class ColumnSchema:
    """One column of a snapshot: its name and pandas dtype (``int64``, ``str``, ...)."""

    name: str
    dtype: str


@dataclass(frozen=True)
class Snapshot:
    """An immutable snapshot of a table, identified by the fingerprint of its data.

    ``source_hash`` is the blake3 of the raw source file (``None`` for an in-memory
    DataFrame); ``object_digest`` addresses the Parquet file in the store. ``created_at``
    (UTC, ISO 8601) records when the data was first snapshotted and is not part of the id.
    """

    id: str
    rows: int
    columns: tuple[ColumnSchema, ...]
    source: str
    source_hash: str | None
    object_digest: str
    created_at: str = field(compare=False)

    @property
    def manifest_path(self) -> str:
        """Path of this snapshot's manifest, relative to the store root."""
        return _manifest_path(self.id)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-ready manifest (``columns`` as a list of ``{name, dtype}``)."""
        return {
            "format": SNAPSHOT_FORMAT,
            "id": self.id,
            "rows": self.rows,
            "columns": [{"name": c.name, "dtype": c.dtype} for c in self.columns],
            "source": self.source,
            "source_hash": self.source_hash,
            "object_digest": self.object_digest,
            "created_at": self.created_at,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Snapshot:
        """Rebuild a snapshot from :meth:`to_dict` output."""
        return cls(
            id=str(data["id"]),
            rows=int(data["rows"]),
            columns=tuple(ColumnSchema(str(c["name"]), str(c["dtype"])) for c in data["columns"]),
            source=str(data["source"]),
            source_hash=None if data["source_hash"] is None else str(data["source_hash"]),
            object_digest=str(data["object_digest"]),
            created_at=str(data["created_at"]),
        )


def _manifest_path(snapshot_id: str) -> str:
    return f"snapshots/{validate_digest(snapshot_id)}.json"


def _to_arrow(frame: pd.DataFrame, source: str) -> pa.Table:
    """Convert to Arrow without the index; mixed-type or duplicate columns become DataError."""
    import pyarrow as pa

    duplicated = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
    if duplicated:
        raise DataError(
            f"data from '{source}' has duplicated column names: {', '.join(duplicated)}.",
            hint="Rename the columns (read_options.names) so that each name is unique.",
        )
    try:
        return pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowException, ValueError, TypeError) as exc:
        raise DataError(
            f"data from '{source}' cannot be stored as Parquet: {type(exc).__name__}: {exc}.",
            hint="Cast columns of mixed types to one type (e.g. df[col].astype(str)) first.",
        ) from exc


def snapshot_table(
    data: pd.DataFrame | str,
    store: ArtifactStore,
    *,
    read_options: Mapping[str, Any] | None = None,
    storage_options: Mapping[str, Any] | None = None,
    source: str | None = None,
) -> Snapshot:
    """Write an immutable Parquet snapshot of ``data`` into ``store`` and describe it.

    ``data`` is a DataFrame or a source path/URL read with :func:`read_table` (using
    ``read_options`` and ``storage_options``). ``source`` labels an in-memory DataFrame.
    The DataFrame index is not stored: ``reset_index()`` first to keep it. The returned
    snapshot reports this call's source and source hash; the stored manifest keeps the
    first ones seen for this data.
    """
    import pyarrow.parquet as pq

    if isinstance(data, str):
        frame, label = read_table(data, read_options, storage_options), data
        source_hash: str | None = hash_source(data, storage_options)
    else:
        frame, label, source_hash = data, source or _IN_MEMORY, None
    table = _to_arrow(frame, label)
    with tempfile.TemporaryDirectory(prefix="boucle-snapshot-") as folder:
        parquet_path = os.path.join(folder, "snapshot.parquet")
        pq.write_table(table, parquet_path, compression="zstd")
        # The id is taken from the table as stored, so load_snapshot can always re-check it.
        snapshot_id = table_fingerprint(pq.read_table(parquet_path))
        if store.file_exists(_manifest_path(snapshot_id)):
            stored = get_snapshot(store, snapshot_id)
            if store.exists(stored.object_digest):
                return _with_source(stored, label, source_hash)
        object_digest = store.put_file(parquet_path)
    snapshot = Snapshot(
        id=snapshot_id,
        rows=table.num_rows,
        columns=tuple(ColumnSchema(str(n), str(t)) for n, t in frame.dtypes.items()),
        source=label,
        source_hash=source_hash,
        object_digest=object_digest,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    store.write_text_atomic(snapshot.manifest_path, json.dumps(snapshot.to_dict(), indent=2))
    return snapshot


def _with_source(stored: Snapshot, source: str, source_hash: str | None) -> Snapshot:
    return Snapshot(
        id=stored.id,
        rows=stored.rows,
        columns=stored.columns,
        source=source,
        source_hash=source_hash,
        object_digest=stored.object_digest,
        created_at=stored.created_at,
    )


def get_snapshot(store: ArtifactStore, snapshot_id: str) -> Snapshot:
    """Return the manifest of snapshot ``snapshot_id`` as a :class:`Snapshot`."""
    path = _manifest_path(snapshot_id)
    if not store.file_exists(path):
        raise StoreError(
            f"snapshot {snapshot_id} is not in the store '{store.root}' (no {path}).",
            hint="Check stores.root, or run the snapshot step to create it.",
        )
    try:
        return Snapshot.from_dict(json.loads(store.read_text(path)))
    except (ValueError, KeyError, TypeError) as exc:
        raise IntegrityError(
            f"snapshot manifest '{path}' in '{store.root}' is unreadable: "
            f"{type(exc).__name__}: {exc}.",
            hint="Delete it and re-run the snapshot step.",
        ) from exc


def load_snapshot(store: ArtifactStore, snapshot_id: str) -> pd.DataFrame:
    """Load snapshot ``snapshot_id`` as a DataFrame, verified end to end.

    The Parquet bytes are checked against their object digest, and the decoded table
    against the snapshot id; either mismatch raises :class:`IntegrityError`.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    snapshot = get_snapshot(store, snapshot_id)
    table = pq.read_table(pa.BufferReader(store.get_bytes(snapshot.object_digest)))
    actual = table_fingerprint(table)
    if actual != snapshot_id:
        raise IntegrityError(
            f"snapshot {snapshot_id} holds data whose fingerprint is {actual} "
            f"(object {snapshot.object_digest}).",
            hint=f"Its manifest '{snapshot.manifest_path}' was altered: delete it and re-run "
            "the snapshot step.",
        )
    frame: pd.DataFrame = table.to_pandas()
    return frame
