"""Tests for boucle.store.artifacts on the local file system."""

from __future__ import annotations

import os
import tracemalloc
from pathlib import Path

import pytest

from boucle.errors import IntegrityError, StoreError, UnsafePathError
from boucle.hashing import blake3_hex
from boucle.store import ArtifactStore


def _flip_first_byte(path: str) -> None:
    with open(path, "r+b") as handle:
        first = handle.read(1)
        handle.seek(0)
        handle.write(bytes([first[0] ^ 0xFF]))


def _temp_leftovers(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.startswith(".tmp-")]


def test_put_get_round_trip(local_root: Path) -> None:
    store = ArtifactStore(str(local_root))
    digest = store.put_bytes(b"hello boucle")
    assert digest == blake3_hex(b"hello boucle")
    assert store.exists(digest)
    assert store.get_bytes(digest) == b"hello boucle"
    assert store.path_of(digest) == f"{local_root}/objects/{digest[:2]}/{digest[2:]}"
    assert Path(store.path_of(digest)).read_bytes() == b"hello boucle"


def test_missing_object_is_a_store_error(local_root: Path) -> None:
    store = ArtifactStore(str(local_root))
    digest = blake3_hex(b"never stored")
    assert not store.exists(digest)
    with pytest.raises(StoreError, match=digest) as info:
        store.get_bytes(digest)
    assert "re-run" in str(info.value)
    with pytest.raises(StoreError, match=digest):
        store.open_verified(digest)


def test_put_bytes_is_idempotent(local_root: Path) -> None:
    store = ArtifactStore(str(local_root))
    digest = store.put_bytes(b"same")
    before = os.stat(store.path_of(digest))
    assert store.put_bytes(b"same") == digest
    after = os.stat(store.path_of(digest))
    assert (before.st_ino, before.st_mtime_ns) == (after.st_ino, after.st_mtime_ns)


def test_relative_root_is_made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    store = ArtifactStore(".boucle")
    assert store.root == str(tmp_path / ".boucle")
    assert store.is_local
    assert ArtifactStore(f"file://{tmp_path}").root == str(tmp_path)


def test_corruption_is_detected(local_root: Path, tmp_path: Path) -> None:
    store = ArtifactStore(str(local_root))
    digest = store.put_bytes(b"precious model bytes")
    _flip_first_byte(store.path_of(digest))
    with pytest.raises(IntegrityError) as info:
        store.get_bytes(digest)
    actual = blake3_hex(Path(store.path_of(digest)).read_bytes())
    assert digest in str(info.value) and actual in str(info.value)
    with pytest.raises(IntegrityError):
        store.verify(digest)
    with pytest.raises(IntegrityError), store.open_verified(digest) as reader:
        reader.read()
    dest = tmp_path / "out" / "model.bin"
    with pytest.raises(IntegrityError):
        store.get_file(digest, dest)
    assert not dest.exists()
    assert not _temp_leftovers(tmp_path)


def test_open_verified_checks_at_end_of_file(local_root: Path) -> None:
    store = ArtifactStore(str(local_root))
    digest = store.put_bytes(b"0123456789")
    with store.open_verified(digest) as reader:
        assert reader.read(4) == b"0123"
        assert not reader.verified
        assert reader.read() == b"456789"
        assert reader.verified


def test_named_file_round_trip(local_root: Path) -> None:
    store = ArtifactStore(str(local_root))
    url = store.write_text_atomic("runs/r1/manifest.json", '{"ok": true}')
    assert url == f"{local_root}/runs/r1/manifest.json"
    assert store.file_exists("runs/r1/manifest.json")
    assert store.read_text("runs/r1/manifest.json") == '{"ok": true}'
    store.write_bytes_atomic("runs/r1/manifest.json", b"v2")
    assert store.read_bytes("runs/r1/manifest.json") == b"v2"
    assert not store.file_exists("runs/r2/manifest.json")
    with pytest.raises(StoreError, match=r"runs/r2/manifest\.json"):
        store.read_bytes("runs/r2/manifest.json")


@pytest.mark.parametrize("relative", ["../x", "/etc/passwd", "a/../../x", "a/../../../tmp/x"])
def test_named_files_refuse_path_traversal(local_root: Path, relative: str) -> None:
    store = ArtifactStore(str(local_root))
    with pytest.raises(UnsafePathError):
        store.write_text_atomic(relative, "owned")
    with pytest.raises(UnsafePathError):
        store.read_bytes(relative)
    assert not (local_root.parent / "x").exists()


def test_named_files_refuse_symlink_escape(local_root: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    local_root.mkdir()
    os.symlink(outside, local_root / "runs")
    store = ArtifactStore(str(local_root))
    with pytest.raises(UnsafePathError, match="symlink"):
        store.write_text_atomic("runs/r1/manifest.json", "owned")
    assert list(outside.iterdir()) == []


def _crashing_replace(*args: object) -> None:
    raise OSError(28, "No space left on device (simulated crash)")


def test_crash_during_named_write_keeps_previous_content(
    local_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = ArtifactStore(str(local_root))
    store.write_text_atomic("runs/r1/manifest.json", "version 1")
    monkeypatch.setattr(os, "replace", _crashing_replace)
    with pytest.raises(StoreError, match=r"runs/r1/manifest\.json"):
        store.write_text_atomic("runs/r1/manifest.json", "version 2 " * 1000)
    monkeypatch.undo()
    assert store.read_text("runs/r1/manifest.json") == "version 1"
    assert not _temp_leftovers(local_root)


def test_crash_during_put_leaves_no_partial_object(
    local_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = ArtifactStore(str(local_root))
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(3 * 1024 * 1024))
    monkeypatch.setattr(os, "replace", _crashing_replace)
    with pytest.raises(StoreError, match="No space left"):
        store.put_bytes(b"never half written")
    with pytest.raises(StoreError):
        store.put_file(source)
    monkeypatch.undo()
    assert not store.exists(blake3_hex(b"never half written"))
    assert not store.exists(blake3_hex(source.read_bytes()))
    assert not _temp_leftovers(local_root)
    assert [p for p in local_root.rglob("*") if p.is_file()] == []


def test_crash_during_fsync_leaves_no_partial_object(
    local_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = ArtifactStore(str(local_root))

    def failing_fsync(fd: int) -> None:
        raise OSError(5, "Input/output error (simulated)")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(StoreError, match="Input/output error"):
        store.put_bytes(b"payload")
    monkeypatch.undo()
    assert not store.exists(blake3_hex(b"payload"))
    assert not _temp_leftovers(local_root)


def test_large_file_is_streamed(local_root: Path, tmp_path: Path) -> None:
    source = tmp_path / "large.bin"
    size = 48 * 1024 * 1024
    with open(source, "wb") as handle:
        for _ in range(48):
            handle.write(os.urandom(1024 * 1024))
    store = ArtifactStore(str(local_root))
    tracemalloc.start()
    try:
        digest = store.put_file(source)
        store.verify(digest)
        dest = store.get_file(digest, tmp_path / "copy" / "large.bin")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024, f"peak Python memory {peak} bytes: not streamed"
    assert digest == blake3_hex(source.read_bytes())
    assert Path(dest).read_bytes() == source.read_bytes()
    assert os.path.getsize(store.path_of(digest)) == size
    assert store.put_file(source) == digest  # idempotent
    assert not _temp_leftovers(local_root)


def test_put_file_missing_source(local_root: Path, tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"nope\.bin"):
        ArtifactStore(str(local_root)).put_file(tmp_path / "nope.bin")


def test_os_errors_are_translated_with_the_url(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("I am a file")
    store = ArtifactStore(str(not_a_folder))
    with pytest.raises(StoreError) as info:
        store.put_bytes(b"x")
    assert str(not_a_folder) in str(info.value)
    assert info.value.hint
    assert isinstance(info.value.__cause__, OSError)


def test_bad_root_is_refused() -> None:
    with pytest.raises(StoreError, match="empty"):
        ArtifactStore("")
    with pytest.raises(StoreError, match="nosuchproto://x"):
        ArtifactStore("nosuchproto://x")
