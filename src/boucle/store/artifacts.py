"""Content-addressed artifact store on a local folder or any fsspec URL (S3, GCS, ...).

Objects live under ``<root>/objects/<first 2 hex>/<remaining hex>`` of their blake3 digest
and are verified on every read. Named files (``runs/<id>/manifest.json``) are written
atomically through :func:`boucle.store.paths.safe_join`, so nothing lands outside the root.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Mapping
from typing import IO, Any, Protocol, cast

from boucle.errors import StoreError
from boucle.hashing import blake3_hex
from boucle.store import _local
from boucle.store._errors import translate_errors
from boucle.store.paths import (
    is_local_url,
    normalise_relative,
    object_relative_path,
    safe_join,
    strip_file_scheme,
)
from boucle.store.verified import VerifiedReader, integrity_error

__all__ = ["CHUNK_SIZE", "ArtifactStore"]

CHUNK_SIZE = 1 << 20  # 1 MiB: streamed hashing and copying never hold a whole file
# Object stores publish a PUT (or a completed multipart upload) atomically: a reader sees
# the whole object or none, so writing straight to the final key is safe there.
_ATOMIC_PUT_PROTOCOLS = frozenset({"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "memory"})


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes | None: ...


def _read_chunks(handle: _Readable) -> Iterator[bytes]:
    while chunk := handle.read(CHUNK_SIZE):
        yield chunk


class ArtifactStore:
    """Content-addressed blobs plus atomically written named files under one root.

    ``root`` is a local path (``.boucle``) or an fsspec URL (``s3://bucket/prefix``);
    ``storage_options`` go to the fsspec file system (credentials, ``client_kwargs``...).
    """

    def __init__(self, root: str, storage_options: Mapping[str, Any] | None = None) -> None:
        if not root:
            raise StoreError("stores.root '' is empty.", hint="Set it to a folder or an s3:// URL.")
        self._local = is_local_url(root)
        self._root = os.path.abspath(strip_file_scheme(root)) if self._local else root.rstrip("/")
        self._fs: Any = None  # fsspec file system: remote roots only (local uses os directly)
        self._root_path = self._root
        self._atomic_put = False
        if not self._local:
            self._open_remote(root, storage_options)

    def _open_remote(self, root: str, storage_options: Mapping[str, Any] | None) -> None:
        try:
            from fsspec.core import url_to_fs

            self._fs, self._root_path = url_to_fs(self._root, **dict(storage_options or {}))
        except ImportError as exc:
            raise StoreError(
                f"no file system installed for store root '{root}' ({exc}).",
                hint="Install the fsspec implementation for this protocol, e.g. s3fs or gcsfs.",
            ) from exc
        except (ValueError, TypeError) as exc:
            raise StoreError(
                f"cannot open store root '{root}': {exc}.",
                hint="Check the URL protocol and the storage_options keys.",
            ) from exc
        protocols = self._fs.protocol
        protocols = (protocols,) if isinstance(protocols, str) else tuple(protocols)
        self._atomic_put = bool(_ATOMIC_PUT_PROTOCOLS & set(protocols))

    def _isfile(self, path: str) -> bool:
        return os.path.isfile(path) if self._local else bool(self._fs.isfile(path))

    def _cat(self, path: str) -> bytes:
        if self._local:
            with open(path, "rb") as handle:
                return handle.read()
        return cast(bytes, self._fs.cat_file(path))

    def __repr__(self) -> str:
        return f"ArtifactStore({self._root!r})"

    @property
    def root(self) -> str:
        """The store root: an absolute local path or the URL given."""
        return self._root

    @property
    def is_local(self) -> bool:
        """True when the store is on the local file system."""
        return self._local

    # -- locating -------------------------------------------------------------------------
    def _locate(self, relative: str) -> tuple[str, str]:
        """Return (file-system path, user-facing URL) for a path relative to the root."""
        url = safe_join(self._root, relative)
        if self._local:
            return url, url
        return f"{self._root_path.rstrip('/')}/{normalise_relative(relative)}", url

    def path_of(self, digest: str) -> str:
        """Return the URL (or local path) where object ``digest`` is stored."""
        return self._locate(object_relative_path(digest))[1]

    def exists(self, digest: str) -> bool:
        """Return True if object ``digest`` is in the store (its content is not checked)."""
        path, url = self._locate(object_relative_path(digest))
        with translate_errors("check", url):
            return self._isfile(path)

    def file_exists(self, relative_path: str) -> bool:
        """Return True if the named file ``relative_path`` exists under the root."""
        path, url = self._locate(relative_path)
        with translate_errors("check", url):
            return self._isfile(path)

    # -- writing ---------------------------------------------------------------------------
    def _write(self, path: str, url: str, data: bytes) -> None:
        with translate_errors("write", url):
            if self._local:
                _local.write_atomic(path, [data])
            elif self._atomic_put:
                self._fs.pipe_file(path, data)
            else:  # e.g. SFTP: upload beside the target, then rename over it
                temp = f"{path}.tmp-{uuid.uuid4().hex}"
                self._fs.pipe_file(temp, data)
                self._fs.mv(temp, path)

    def put_bytes(self, data: bytes) -> str:
        """Store ``data`` and return its blake3 hex digest; an existing object is not rewritten."""
        digest = blake3_hex(data)
        if not self.exists(digest):
            self._write(*self._locate(object_relative_path(digest)), data)
        return digest

    def put_file(self, path: str | os.PathLike[str]) -> str:
        """Store the local file at ``path`` in one streamed pass and return its digest.

        The file is copied to a temp location while it is hashed, then renamed (local) or
        server-side moved (remote) to its object path, so the stored bytes are exactly the
        bytes hashed even if the source changes meanwhile.
        """
        from blake3 import blake3  # incremental hasher: boucle.hashing has one-shot helpers

        source = os.fspath(path)
        hasher = blake3()

        def hashed_chunks(handle: IO[bytes]) -> Iterator[bytes]:
            for chunk in _read_chunks(handle):
                hasher.update(chunk)
                yield chunk

        try:
            handle = open(source, "rb")  # noqa: SIM115 - closed in finally
        except OSError as exc:
            raise StoreError(
                f"cannot read file '{source}' to store it: {exc.strerror or exc}.",
                hint="Check that the path exists and is readable.",
            ) from exc
        # Stage under <root>/tmp (same file system as objects/, so the final rename is cheap).
        tmp_path, tmp_url = self._locate(f"tmp/{uuid.uuid4().hex}.part")
        try:
            with translate_errors("write", tmp_url):
                if self._local:
                    tmp_path = _local.stage_chunks(os.path.dirname(tmp_path), hashed_chunks(handle))
                else:
                    with self._fs.open(tmp_path, "wb") as out:
                        for chunk in hashed_chunks(handle):
                            out.write(chunk)
        finally:
            handle.close()
        digest = str(hasher.hexdigest())
        final_path, final_url = self._locate(object_relative_path(digest))
        with translate_errors("write", final_url):
            exists = self._isfile(final_path)
            if self._local and exists:
                _local.discard_staged(tmp_path)
            elif self._local:
                _local.commit_staged(tmp_path, final_path)
            elif exists:
                self._fs.rm(tmp_path)
            else:
                self._fs.mv(tmp_path, final_path)
        return digest

    def write_bytes_atomic(self, relative_path: str, data: bytes) -> str:
        """Write a named file under the root atomically and return its URL.

        Raises :class:`UnsafePathError` if ``relative_path`` would escape the root.
        """
        path, url = self._locate(relative_path)
        self._write(path, url, data)
        return url

    def write_text_atomic(self, relative_path: str, text: str) -> str:
        """Write UTF-8 ``text`` to a named file under the root atomically; return its URL."""
        return self.write_bytes_atomic(relative_path, text.encode("utf-8"))

    # -- reading ---------------------------------------------------------------------------
    def read_bytes(self, relative_path: str) -> bytes:
        """Return the content of the named file ``relative_path`` under the root."""
        path, url = self._locate(relative_path)
        with translate_errors("read", url):
            return self._cat(path)

    def read_text(self, relative_path: str) -> str:
        """Return the UTF-8 text of the named file ``relative_path`` under the root."""
        return self.read_bytes(relative_path).decode("utf-8")

    def _missing(self, digest: str, url: str) -> StoreError:
        return StoreError(
            f"object {digest} is not in the store '{self._root}' (looked at '{url}').",
            hint="Check that stores.root is the store that produced it, or re-run that step.",
        )

    def get_bytes(self, digest: str) -> bytes:
        """Return the bytes of object ``digest``, raising :class:`IntegrityError` if corrupted."""
        path, url = self._locate(object_relative_path(digest))
        try:
            with translate_errors("read", url):
                data = self._cat(path)
        except StoreError as exc:
            if isinstance(exc.__cause__, FileNotFoundError):
                raise self._missing(digest, url) from exc.__cause__
            raise
        actual = blake3_hex(data)
        if actual != digest:
            raise integrity_error(digest, actual, url)
        return data

    def open_verified(self, digest: str) -> VerifiedReader:
        """Open object ``digest`` as a stream verified against its hash at end of file.

        Use it as a context manager; see :class:`VerifiedReader` for when the check happens.
        """
        path, url = self._locate(object_relative_path(digest))
        with translate_errors("open", url):
            if not self._isfile(path):
                raise self._missing(digest, url)
            handle = open(path, "rb") if self._local else self._fs.open(path, "rb")  # noqa: SIM115
            return VerifiedReader(handle, digest, url)

    def verify(self, digest: str) -> None:
        """Stream object ``digest`` through its hash; raise :class:`IntegrityError` on mismatch."""
        with self.open_verified(digest) as reader:
            while reader.read(CHUNK_SIZE):
                pass

    def get_file(self, digest: str, dest_path: str | os.PathLike[str]) -> str:
        """Copy object ``digest`` to the local ``dest_path``, verified, and return that path.

        The copy is streamed to a temp file beside ``dest_path`` and renamed into place only
        after the hash matched, so a corrupted object never reaches ``dest_path``.
        """
        dest = os.path.abspath(os.fspath(dest_path))
        with self.open_verified(digest) as reader, translate_errors("write", dest):
            staged = _local.stage_chunks(os.path.dirname(dest), _read_chunks(reader))
        # stage_chunks read to end of file, so the reader has verified (or raised) by now.
        with translate_errors("write", dest):
            _local.commit_staged(staged, dest)
        return dest
