"""Tests for boucle.data.snapshot on a local store: determinism, manifest, verified loading."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from boucle.data import Snapshot, get_snapshot, load_snapshot, snapshot_table
from boucle.errors import DataError, IntegrityError, StoreError
from boucle.hashing import blake3_hex
from boucle.store import ArtifactStore

FRAME_DATA = {
    "age": [39, 50, 38],
    "city": ["Lyon", "Paris", None],
    "income": ["<=50K", ">50K", "<=50K"],
}
FRAME = pd.DataFrame(FRAME_DATA)


def test_same_data_gives_same_id_and_no_rewrite(local_root: Path) -> None:
    store = ArtifactStore(str(local_root))
    first = snapshot_table(FRAME, store)
    manifest = local_root / first.manifest_path
    mtime = manifest.stat().st_mtime_ns
    second = snapshot_table(FRAME.copy(), store)
    assert second == first
    assert second.created_at == first.created_at
    assert manifest.stat().st_mtime_ns == mtime
    assert second.source == "<DataFrame>" and second.source_hash is None


def test_same_data_gives_same_id_in_another_process(local_root: Path, tmp_path: Path) -> None:
    here = snapshot_table(FRAME, ArtifactStore(str(local_root)))
    script = textwrap.dedent(
        f"""
        import pandas as pd
        from boucle.data import snapshot_table
        from boucle.store import ArtifactStore
        frame = pd.DataFrame({FRAME_DATA!r})
        snapshot = snapshot_table(frame, ArtifactStore({str(tmp_path / "other")!r}))
        print(snapshot.id, snapshot.object_digest)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.split() == [here.id, here.object_digest]


def test_different_data_gives_new_id(local_root: Path) -> None:
    store = ArtifactStore(str(local_root))
    changed = FRAME.assign(age=[39, 51, 38])
    assert snapshot_table(changed, store).id != snapshot_table(FRAME, store).id


def test_csv_id_ignores_mtime_but_not_bytes(local_root: Path, tmp_path: Path) -> None:
    store = ArtifactStore(str(local_root))
    source = tmp_path / "people.csv"
    FRAME.to_csv(source, index=False)
    first = snapshot_table(str(source), store)
    os.utime(source, (1_000_000_000, 1_000_000_000))
    touched = snapshot_table(str(source), store)
    assert (touched.id, touched.source_hash) == (first.id, first.source_hash)
    assert first.source_hash == blake3_hex(source.read_bytes())
    assert first.source == str(source)
    source.write_text(source.read_text().replace("Lyon", "Lille"))
    changed = snapshot_table(str(source), store)
    assert changed.id != first.id and changed.source_hash != first.source_hash


def test_same_data_from_another_format_keeps_id(local_root: Path, tmp_path: Path) -> None:
    store = ArtifactStore(str(local_root))
    csv_path, parquet_path = tmp_path / "people.csv", tmp_path / "people.parquet"
    FRAME.to_csv(csv_path, index=False)
    FRAME.to_parquet(parquet_path, index=False)
    from_csv = snapshot_table(str(csv_path), store)
    from_parquet = snapshot_table(str(parquet_path), store)
    assert from_parquet.id == from_csv.id
    assert from_parquet.source == str(parquet_path)
    assert from_parquet.source_hash == blake3_hex(parquet_path.read_bytes())
    assert get_snapshot(store, from_csv.id).source == str(csv_path)  # manifest written once


def test_adult_round_trip_and_manifest(
    local_root: Path, adult_path: Path, adult_options: dict[str, Any]
) -> None:
    store = ArtifactStore(str(local_root))
    snapshot = snapshot_table(str(adult_path), store, read_options=adult_options)
    assert snapshot.rows == 32_561
    assert [c.name for c in snapshot.columns] == adult_options["names"]
    assert snapshot.columns[0].dtype == "int64"
    manifest = json.loads(store.read_text(f"snapshots/{snapshot.id}.json"))
    assert manifest["rows"] == 32_561
    assert manifest["source"] == str(adult_path)
    assert manifest["source_hash"] == blake3_hex(adult_path.read_bytes())
    assert manifest["columns"][0] == {"name": "age", "dtype": "int64"}
    assert Snapshot.from_dict(manifest) == snapshot
    assert get_snapshot(store, snapshot.id) == snapshot
    loaded = load_snapshot(store, snapshot.id)
    original = pd.read_csv(adult_path, **adult_options)
    pd.testing.assert_frame_equal(loaded, original)


def test_load_detects_corrupted_parquet(local_root: Path) -> None:
    store = ArtifactStore(str(local_root))
    snapshot = snapshot_table(FRAME, store)
    with open(store.path_of(snapshot.object_digest), "r+b") as handle:
        handle.seek(10)
        handle.write(b"\x00\xff")
    with pytest.raises(IntegrityError, match=snapshot.object_digest):
        load_snapshot(store, snapshot.id)


def test_load_detects_a_manifest_pointing_at_other_data(local_root: Path) -> None:
    store = ArtifactStore(str(local_root))
    good = snapshot_table(FRAME, store)
    other = snapshot_table(FRAME.assign(age=[1, 2, 3]), store)
    manifest = good.to_dict() | {"object_digest": other.object_digest}
    store.write_text_atomic(good.manifest_path, json.dumps(manifest))
    with pytest.raises(IntegrityError, match=good.id):
        load_snapshot(store, good.id)


def test_unknown_or_bad_snapshot_ids(local_root: Path) -> None:
    store = ArtifactStore(str(local_root))
    unknown = blake3_hex(b"nothing")
    with pytest.raises(StoreError, match=unknown):
        load_snapshot(store, unknown)
    with pytest.raises(StoreError, match="not a blake3 digest"):
        load_snapshot(store, "../../etc/passwd")
    store.write_text_atomic(f"snapshots/{unknown}.json", "{not json")
    with pytest.raises(IntegrityError, match="unreadable"):
        get_snapshot(store, unknown)


def test_unstorable_frames_are_data_errors(local_root: Path) -> None:
    store = ArtifactStore(str(local_root))
    duplicated = pd.DataFrame([[1, 2]], columns=["a", "a"])
    with pytest.raises(DataError, match="duplicated column names: a"):
        snapshot_table(duplicated, store, source="dupes.csv")
    mixed = pd.DataFrame({"m": [1, "two", 3.0]})
    with pytest.raises(DataError, match=r"'mixed\.csv' cannot be stored as Parquet"):
        snapshot_table(mixed, store, source="mixed.csv")


def test_bad_source_is_a_data_error(local_root: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(DataError, match="has no rows"):
        snapshot_table(str(empty), ArtifactStore(str(local_root)))
    assert not (local_root / "objects").exists()
