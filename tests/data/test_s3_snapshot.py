"""Snapshots and readers on S3 (moto server on 127.0.0.1, real s3fs/botocore)."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import boto3
import pandas as pd
import pytest

from boucle.data import get_snapshot, load_snapshot, read_table, snapshot_table
from boucle.errors import DataError
from boucle.hashing import blake3_hex
from boucle.store import ArtifactStore


def _upload(endpoint: str, url: str, body: bytes) -> None:
    bucket, key = url.removeprefix("s3://").split("/", 1)
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    client.put_object(Bucket=bucket, Key=key, Body=body)


def test_snapshot_round_trip_on_s3(
    s3_root: str,
    s3_options: dict[str, Any],
    s3_endpoint: str,
    adult_path: Path,
    adult_options: dict[str, Any],
) -> None:
    source = f"{s3_root}/raw/adult.data.gz"
    raw = gzip.compress(adult_path.read_bytes(), mtime=0)
    _upload(s3_endpoint, source, raw)
    store = ArtifactStore(f"{s3_root}/store", storage_options=s3_options)
    snapshot = snapshot_table(source, store, read_options=adult_options, storage_options=s3_options)
    assert snapshot.rows == 32_561
    assert snapshot.source == source
    assert snapshot.source_hash == blake3_hex(raw)
    assert store.exists(snapshot.object_digest)
    assert get_snapshot(store, snapshot.id) == snapshot
    loaded = load_snapshot(store, snapshot.id)
    pd.testing.assert_frame_equal(loaded, pd.read_csv(adult_path, **adult_options))


def test_same_data_same_id_across_local_and_s3(
    s3_root: str, s3_options: dict[str, Any], local_root: Path
) -> None:
    frame = pd.DataFrame({"x": [1, 2, 3], "y": ["a", None, "c"]})
    on_s3 = snapshot_table(frame, ArtifactStore(s3_root, storage_options=s3_options))
    on_disk = snapshot_table(frame, ArtifactStore(str(local_root)))
    assert on_s3.id == on_disk.id
    assert on_s3.object_digest == on_disk.object_digest


def test_read_parquet_from_s3(
    s3_root: str, s3_options: dict[str, Any], s3_endpoint: str, tmp_path: Path
) -> None:
    frame = pd.DataFrame({"x": [1.5, 2.5], "label": ["yes", "no"]})
    local = tmp_path / "t.parquet"
    frame.to_parquet(local, index=False)
    source = f"{s3_root}/raw/t.parquet"
    _upload(s3_endpoint, source, local.read_bytes())
    pd.testing.assert_frame_equal(read_table(source, storage_options=s3_options), frame)


def test_missing_s3_source_is_a_data_error(s3_root: str, s3_options: dict[str, Any]) -> None:
    source = f"{s3_root}/raw/missing.csv"
    with pytest.raises(DataError) as info:
        read_table(source, storage_options=s3_options)
    assert f"'{source}' does not exist" in str(info.value)
