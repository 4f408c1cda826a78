"""Path containment for everything boucle writes under ``stores.root``.

:func:`safe_join` is the one place where a relative path coming from a config file, a run id
or a user is joined onto the store root. It refuses anything that would land outside the
root after normalisation: ``..`` segments, absolute paths, drive letters, URLs, NUL bytes
and, on the local file system, symlinks that resolve outside the root.
"""

from __future__ import annotations

import os
import posixpath
import re

from boucle.errors import StoreError, UnsafePathError

__all__ = [
    "is_local_url",
    "normalise_relative",
    "object_relative_path",
    "safe_join",
    "strip_file_scheme",
    "validate_digest",
]

_PROTOCOL = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://")
_DRIVE = re.compile(r"^[A-Za-z]:")
_DIGEST = re.compile(r"^[0-9a-f]{64}$")
_HINT = "Use a path relative to the store root without '..', e.g. 'runs/<run_id>/manifest.json'."


def is_local_url(url: str) -> bool:
    """Return True when ``url`` is a plain local path or a ``file://``/``local://`` URL."""
    if "::" in url:  # fsspec chained URL such as "simplecache::s3://bucket"
        return False
    match = _PROTOCOL.match(url)
    return match is None or match.group(1).lower() in {"file", "local"}


def strip_file_scheme(url: str) -> str:
    """Return the local path behind a ``file://`` or ``local://`` URL (plain paths unchanged)."""
    match = _PROTOCOL.match(url)
    return url[match.end() :] if match is not None else url


def normalise_relative(relative: str) -> str:
    """Normalise ``relative`` to a POSIX path that stays inside its root.

    Backslashes count as separators, so ``a\\..\\..\\x`` is refused like ``a/../../x``.
    Raises :class:`UnsafePathError` for an empty path, an absolute path, a URL, a drive
    letter, a NUL byte, or a path that climbs above the root once normalised.
    """
    if not relative or "\x00" in relative:
        raise UnsafePathError(
            f"relative path {relative!r} is empty or contains a NUL byte.", hint=_HINT
        )
    candidate = relative.replace("\\", "/")
    if candidate.startswith("/") or _DRIVE.match(candidate) or _PROTOCOL.match(candidate):
        raise UnsafePathError(
            f"path {relative!r} is absolute; only paths relative to the store root are allowed.",
            hint=_HINT,
        )
    normalised = posixpath.normpath(candidate)
    if normalised in {".", ".."} or normalised.startswith("../"):
        raise UnsafePathError(
            f"path {relative!r} escapes the store root (normalised to {normalised!r}).", hint=_HINT
        )
    return normalised


def safe_join(root: str, relative: str) -> str:
    """Join ``relative`` onto ``root`` (a local path or fsspec URL), refusing any escape.

    The result keeps the style of ``root``: a URL for a URL, a path for a path. On the local
    file system the joined path is also resolved through symlinks and must stay under the
    resolved root; a symlink pointing outside raises :class:`UnsafePathError`. (A symlink
    swapped in after this check is out of scope: the store root must not be writable by
    an attacker.)
    """
    normalised = normalise_relative(relative)
    joined = f"{root.rstrip('/')}/{normalised}"
    if is_local_url(root):
        real_root = os.path.realpath(strip_file_scheme(root))
        real_target = os.path.realpath(os.path.join(real_root, normalised))
        if os.path.commonpath([real_root, real_target]) != real_root:
            raise UnsafePathError(
                f"path {relative!r} resolves to {real_target!r}, outside the store root "
                f"{real_root!r} (a symlink points outside).",
                hint="Remove the symlink or write to a path that resolves inside the root.",
            )
    return joined


def validate_digest(digest: str) -> str:
    """Return ``digest`` if it is a 64-character lowercase hex blake3 digest, else raise."""
    if not isinstance(digest, str) or _DIGEST.match(digest) is None:
        raise StoreError(
            f"{digest!r} is not a blake3 digest.",
            hint="Pass the 64-character lowercase hex string returned by put_bytes/put_file.",
        )
    return digest


def object_relative_path(digest: str) -> str:
    """Return ``objects/<first 2 hex>/<remaining 62 hex>`` for a validated digest."""
    validate_digest(digest)
    return f"objects/{digest[:2]}/{digest[2:]}"
