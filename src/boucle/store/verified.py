"""Hash-verified reading of stored objects, in one piece or streamed."""

from __future__ import annotations

import hmac
import io
from typing import IO, TYPE_CHECKING

from boucle.errors import IntegrityError, StoreError
from boucle.hashing import blake3_hex
from boucle.store._errors import translate_errors

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

__all__ = ["VerifiedReader", "integrity_error", "verified_bytes"]


def integrity_error(digest: str, actual: str, url: str) -> IntegrityError:
    """Build the :class:`IntegrityError` for an object whose bytes hash to ``actual``."""
    return IntegrityError(
        f"object {digest} at '{url}' is corrupted: its content hashes to {actual}.",
        hint="Delete the object and re-run the step that produced it; if it happens again, "
        "check the disk or bucket for tampering.",
    )


def verified_bytes(data: bytes | None, digest: str, *, kind: str, model: str) -> bytes:
    """``data`` itself, once it hashes to ``digest``: the check made again just before loading.

    Model bytes read from the store were verified on read; loaders of native models (joblib,
    skops) hash them once more right before decoding them. ``kind`` and ``model`` name them in
    messages. Raises :class:`StoreError` when ``data`` is empty and :class:`IntegrityError`
    when it does not hash to ``digest``.
    """
    if not data:
        raise StoreError(
            f"no {kind} bytes were given for {model}.",
            hint="Read them from boucle's artifact store by the version's boucle.model_digest.",
        )
    actual = blake3_hex(data)
    if not hmac.compare_digest(actual, digest.strip().lower()):
        raise IntegrityError(
            f"the {kind} bytes of {model} hash to {actual}, not to {digest!r} recorded for it: "
            "refusing to load them.",
            hint="The model file was changed or corrupted; run `boucle audit verify` and "
            "re-run `boucle run`.",
        )
    return data


class VerifiedReader(io.RawIOBase):
    """A read-only, forward-only stream that hashes what it returns.

    The read that reaches end of file raises :class:`IntegrityError` if the bytes read do not
    hash to the expected digest, so a consumer that reads to the end never silently accepts
    corrupted data. Data returned before that point is not yet verified: callers that act on
    it (e.g. :meth:`ArtifactStore.get_file`) must only commit once the stream is exhausted.
    """

    def __init__(self, raw: IO[bytes], digest: str, url: str) -> None:
        super().__init__()
        from blake3 import blake3  # incremental hasher: boucle.hashing has one-shot helpers only

        self._raw = raw
        self._digest = digest
        self._url = url
        self._hasher = blake3()
        self._verified = False

    @property
    def verified(self) -> bool:
        """True once the whole object has been read and matched its digest."""
        return self._verified

    def readable(self) -> bool:
        """Return True: this stream can be read."""
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        """Read up to ``len(buffer)`` bytes into ``buffer``; verify the hash at end of file."""
        view = memoryview(buffer).cast("B")
        with translate_errors("read", self._url):
            data = self._raw.read(len(view))
        size = len(data)
        if size:
            view[:size] = data
            self._hasher.update(data)
        elif not self._verified:
            actual = str(self._hasher.hexdigest())
            if actual != self._digest:
                raise integrity_error(self._digest, actual, self._url)
            self._verified = True
        return size

    def close(self) -> None:
        """Close the underlying stream."""
        if not self.closed:
            self._raw.close()
        super().close()
