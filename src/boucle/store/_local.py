"""Crash-safe writes on the local file system.

A reader must never see a half-written file, and a crash must leave the previous version
intact: write a temp file in the destination file system, ``flush`` + ``fsync`` it,
``os.replace`` it onto the final name (atomic on POSIX and Windows), then ``fsync`` the
directory so the rename itself survives a power loss.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable

__all__ = ["commit_staged", "discard_staged", "stage_chunks", "write_atomic"]

_TEMP_PREFIX = ".tmp-"
# mkstemp creates 0600 files; objects are shared read-only data, as with a plain open().
_FILE_MODE = 0o644


def _fsync_directory(directory: str) -> None:
    """Flush a directory entry to disk (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # Windows cannot open directories; NTFS journals the rename anyway
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def discard_staged(temp_path: str) -> None:
    """Remove a staged temp file, ignoring one that is already gone."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(temp_path)


def stage_chunks(directory: str, chunks: Iterable[bytes]) -> str:
    """Write ``chunks`` to a new fsynced temp file in ``directory``; return its path.

    The temp file is removed if writing fails. The caller must then :func:`commit_staged`
    or :func:`discard_staged` it.
    """
    os.makedirs(directory, exist_ok=True)
    fd, temp_path = tempfile.mkstemp(dir=directory, prefix=_TEMP_PREFIX, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp_path, _FILE_MODE)
    except BaseException:
        discard_staged(temp_path)
        raise
    return temp_path


def commit_staged(temp_path: str, final_path: str) -> None:
    """Atomically rename a staged temp file onto ``final_path`` and fsync its directory."""
    directory = os.path.dirname(final_path)
    try:
        os.makedirs(directory, exist_ok=True)
        os.replace(temp_path, final_path)
    except BaseException:
        discard_staged(temp_path)
        raise
    _fsync_directory(directory)


def write_atomic(final_path: str, chunks: Iterable[bytes]) -> None:
    """Write ``chunks`` to ``final_path``: readers see the old file or the new one, never a mix."""
    commit_staged(stage_chunks(os.path.dirname(final_path), chunks), final_path)
