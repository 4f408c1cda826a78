"""Writing a bundle folder all at once: staged beside the target, then renamed into place.

Every file is written with :func:`boucle.store._local.write_atomic` into a hidden staging
folder next to ``out`` (same file system), which is then renamed onto ``out``: a reader, or a
``docker build`` started meanwhile, sees the previous bundle or the new one, never a mix, and
a failure leaves ``out`` as it was. An existing non-empty ``out`` is replaced only with
``force``, and only when it is a bundle itself (its manifest.json says so): ``--force`` never
deletes a folder that boucle did not write.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from boucle.package.errors import PackageError
from boucle.store._local import write_atomic

__all__ = ["BUNDLE_FORMAT", "check_output_dir", "write_bundle"]

#: ``format`` of a bundle's manifest.json.
BUNDLE_FORMAT = "boucle-bundle/1"


def check_output_dir(out: Path, *, force: bool) -> None:
    """Raise :class:`PackageError` unless ``out`` is absent, empty, or a bundle and ``force``."""
    if not out.exists():
        return
    if not out.is_dir():
        raise PackageError(
            f"--out '{out}' is a file, not a folder.",
            hint="Pass a new or empty folder for the bundle.",
        )
    if not any(out.iterdir()):
        return
    if not force:
        raise PackageError(
            f"--out '{out}' is not empty; the bundle was not written.",
            hint="Pass a new or empty folder, or --force to replace the bundle that is there.",
        )
    if not _is_bundle(out):
        raise PackageError(
            f"--out '{out}' is not empty and holds no boucle bundle (no manifest.json of "
            f"format {BUNDLE_FORMAT!r}): --force replaces only a bundle.",
            hint="Pass a new or empty folder for the bundle.",
        )


def write_bundle(out: Path, files: Mapping[str, bytes], *, force: bool) -> None:
    """Write ``files`` (relative POSIX path → bytes) as the folder ``out``, atomically."""
    check_output_dir(out, force=force)
    out = out.absolute()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.tmp-"))
    try:
        for relative, data in files.items():
            write_atomic(str(staging / _contained(relative)), [data])
        os.chmod(staging, 0o755)  # mkdtemp makes it 0700; the bundle is shared, read-only data
        _swap_into_place(staging, out)
    except OSError as exc:
        raise PackageError(
            f"cannot write the bundle to '{out}': {exc}",
            hint="Check that the folder is writable and the disk has room.",
        ) from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _contained(relative: str) -> Path:
    path = PurePosixPath(relative)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise PackageError(
            f"bundle file name {relative!r} would land outside the bundle.",
            hint="This is a bug in boucle: report it with the model's name.",
        )
    return Path(*path.parts)


def _swap_into_place(staging: Path, out: Path) -> None:
    if not out.exists() or not any(out.iterdir()):
        os.replace(staging, out)  # onto nothing, or onto an empty folder: one rename
    else:
        # A non-empty folder cannot be renamed over: move the old bundle aside first.
        old = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.old-"))
        os.replace(out, old / out.name)
        try:
            os.replace(staging, out)
        except OSError:
            os.replace(old / out.name, out)  # put the old bundle back
            raise
        finally:
            shutil.rmtree(old, ignore_errors=True)
    _fsync_directory(out.parent)


def _is_bundle(folder: Path) -> bool:
    try:
        manifest = json.loads((folder / "manifest.json").read_bytes())
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and manifest.get("format") == BUNDLE_FORMAT


def _fsync_directory(directory: Path) -> None:
    """Make the rename durable (a no-op where a folder cannot be opened)."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
