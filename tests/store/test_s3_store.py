"""Tests for boucle.store.artifacts on S3 (moto server on 127.0.0.1, real s3fs/botocore)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import boto3
import pytest

from boucle.errors import IntegrityError, StoreError, UnsafePathError
from boucle.hashing import blake3_hex
from boucle.store import ArtifactStore

BUCKET = "boucle-test"  # created by the s3_endpoint fixture in conftest.py


def _key_of(url: str) -> str:
    return url.removeprefix(f"s3://{BUCKET}/")


def _keys(endpoint: str, prefix: str) -> list[str]:
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    listing = client.list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def test_put_get_round_trip_on_s3(s3_root: str, s3_options: dict[str, Any]) -> None:
    store = ArtifactStore(s3_root, storage_options=s3_options)
    assert not store.is_local
    digest = store.put_bytes(b"hello s3")
    assert store.path_of(digest) == f"{s3_root}/objects/{digest[:2]}/{digest[2:]}"
    assert store.exists(digest)
    assert store.get_bytes(digest) == b"hello s3"
    assert store.put_bytes(b"hello s3") == digest
    store.verify(digest)


def test_put_file_and_get_file_on_s3(
    s3_root: str, s3_options: dict[str, Any], s3_endpoint: str, tmp_path: Path
) -> None:
    source = tmp_path / "blob.bin"
    source.write_bytes(os.urandom(6 * 1024 * 1024))  # > 5 MiB: multipart upload
    store = ArtifactStore(s3_root, storage_options=s3_options)
    digest = store.put_file(source)
    assert digest == blake3_hex(source.read_bytes())
    dest = store.get_file(digest, tmp_path / "copy.bin")
    assert Path(dest).read_bytes() == source.read_bytes()
    assert store.put_file(source) == digest
    prefix = _key_of(s3_root)
    assert _keys(s3_endpoint, f"{prefix}/tmp/") == []  # temp upload moved, never left behind
    assert _keys(s3_endpoint, prefix) == [_key_of(store.path_of(digest))]


def test_corruption_is_detected_on_s3(
    s3_root: str, s3_options: dict[str, Any], s3_endpoint: str
) -> None:
    store = ArtifactStore(s3_root, storage_options=s3_options)
    digest = store.put_bytes(b"original")
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    client.put_object(Bucket=BUCKET, Key=_key_of(store.path_of(digest)), Body=b"tampered")
    with pytest.raises(IntegrityError) as info:
        store.get_bytes(digest)
    assert digest in str(info.value) and blake3_hex(b"tampered") in str(info.value)
    with pytest.raises(IntegrityError):
        store.verify(digest)


def test_named_files_on_s3(s3_root: str, s3_options: dict[str, Any]) -> None:
    store = ArtifactStore(s3_root, storage_options=s3_options)
    url = store.write_text_atomic("runs/r1/manifest.json", '{"run": 1}')
    assert url == f"{s3_root}/runs/r1/manifest.json"
    assert store.file_exists("runs/r1/manifest.json")
    assert store.read_text("runs/r1/manifest.json") == '{"run": 1}'
    store.write_text_atomic("runs/r1/manifest.json", '{"run": 2}')
    assert store.read_text("runs/r1/manifest.json") == '{"run": 2}'
    for relative in ["../escape.json", "/etc/passwd", "a/../../x"]:
        with pytest.raises(UnsafePathError):
            store.write_text_atomic(relative, "owned")


def test_missing_bucket_is_a_store_error(s3_options: dict[str, Any]) -> None:
    store = ArtifactStore("s3://no-such-bucket/prefix", storage_options=s3_options)
    with pytest.raises(StoreError) as info:
        store.put_bytes(b"x")
    assert "s3://no-such-bucket/prefix/objects/" in str(info.value)
    assert "bucket" in str(info.value)
    with pytest.raises(StoreError, match="no-such-bucket"):
        store.get_bytes(blake3_hex(b"x"))
