"""Tests for boucle.store.paths: containment of every path joined onto the store root."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from boucle.errors import StoreError, UnsafePathError
from boucle.store.paths import (
    is_local_url,
    normalise_relative,
    object_relative_path,
    safe_join,
    validate_digest,
)

ESCAPES = [
    "../x",
    "/etc/passwd",
    "a/../../x",
    "..",
    ".",
    "",
    "a/./../..",
    "a\\..\\..\\x",
    "C:/Windows/x",
    "s3://other-bucket/x",
    "file:///etc/passwd",
    "x\x00y",
]


@pytest.mark.parametrize("relative", ESCAPES)
def test_safe_join_refuses_escapes(tmp_path: Path, relative: str) -> None:
    with pytest.raises(UnsafePathError) as info:
        safe_join(str(tmp_path), relative)
    assert repr(relative) in str(info.value)
    assert info.value.hint


@pytest.mark.parametrize("relative", ["../x", "/etc/passwd", "a/../../x"])
def test_safe_join_refuses_escapes_for_urls(relative: str) -> None:
    with pytest.raises(UnsafePathError):
        safe_join("s3://bucket/prefix", relative)


def test_safe_join_normalises_inside_paths(tmp_path: Path) -> None:
    root = str(tmp_path)
    assert safe_join(root, "runs/r1/manifest.json") == f"{root}/runs/r1/manifest.json"
    assert safe_join(root, "a/../b//c/./d") == f"{root}/b/c/d"
    assert safe_join("s3://bucket/prefix/", "runs/x.json") == "s3://bucket/prefix/runs/x.json"


def test_safe_join_refuses_symlink_pointing_outside(tmp_path: Path) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    os.symlink(outside, root / "link")
    with pytest.raises(UnsafePathError, match="symlink"):
        safe_join(str(root), "link/evil.json")


def test_safe_join_allows_symlink_inside_root(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    os.symlink(tmp_path / "real", tmp_path / "alias")
    assert safe_join(str(tmp_path), "alias/x.json") == f"{tmp_path}/alias/x.json"


def test_safe_join_accepts_a_symlinked_root(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    os.symlink(tmp_path / "real", tmp_path / "root")
    assert safe_join(str(tmp_path / "root"), "a/b") == f"{tmp_path}/root/a/b"


def test_normalise_relative_uses_posix_separators() -> None:
    assert normalise_relative("a\\b\\c.json") == "a/b/c.json"


@pytest.mark.parametrize(
    ("url", "local"),
    [
        (".boucle", True),
        ("/abs/x", True),
        ("file:///x", True),
        ("s3://b/p", False),
        ("simplecache::s3://b/p", False),
        ("gs://b", False),
    ],
)
def test_is_local_url(url: str, local: bool) -> None:
    assert is_local_url(url) is local


def test_validate_digest_quotes_the_bad_value() -> None:
    good = "ab" * 32
    assert validate_digest(good) == good
    assert object_relative_path(good) == f"objects/ab/{'ab' * 31}"
    for bad in ["../../etc/passwd", "AB" * 32, "ab" * 31, ""]:
        with pytest.raises(StoreError) as info:
            validate_digest(bad)
        assert repr(bad) in str(info.value)
