"""Read a tabular data source (CSV, gzipped CSV, Parquet; local or fsspec URL) into pandas.

Every failure is a :class:`DataError` with one clear paragraph: the source quoted, what was
wrong, how to fix it. No pandas or pyarrow traceback reaches the user unexplained (the
library exception is chained as ``__cause__``).
"""

from __future__ import annotations

import difflib
import os
import posixpath
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from boucle.errors import DataError

if TYPE_CHECKING:
    import pandas as pd
    from fsspec import AbstractFileSystem

__all__ = ["SUPPORTED_EXTENSIONS", "hash_source", "read_table", "table_format"]

#: File name endings :func:`read_table` understands (``.data``/``.txt`` are read as CSV).
SUPPORTED_EXTENSIONS = (".csv", ".csv.gz", ".data", ".data.gz", ".parquet", ".txt", ".txt.gz")
_CHUNK_SIZE = 1 << 20
_OPTIONS_HINT = "Check read_options (sep, header, names, quotechar, skiprows) in boucle.yaml."


def table_format(source: str) -> tuple[str, str | None]:
    """Return ``(reader, compression)`` for ``source``: ``("csv", "gzip")``, ``("parquet", None)``.

    Raises :class:`DataError` listing the supported extensions for any other file name.
    """
    name = source.rstrip("/").lower()
    for extension in SUPPORTED_EXTENSIONS:
        if name.endswith(extension):
            reader = "parquet" if extension == ".parquet" else "csv"
            return reader, "gzip" if extension.endswith(".gz") else None
    raise DataError(
        f"data source '{source}' has an unsupported file extension.",
        hint=f"Supported: {', '.join(SUPPORTED_EXTENSIONS)}. Convert the file or rename it.",
    )


def _file_system(source: str, storage_options: Mapping[str, Any] | None) -> tuple[Any, str]:
    from fsspec.core import url_to_fs

    try:
        fs, path = url_to_fs(source, **dict(storage_options or {}))
    except (ImportError, ValueError, TypeError) as exc:
        raise DataError(
            f"cannot open data source '{source}': {_describe(exc)}",
            hint="Check the URL protocol, install its fsspec package (e.g. s3fs) and "
            "the storage_options keys.",
        ) from exc
    return fs, str(path)


def _missing(source: str, fs: AbstractFileSystem, path: str) -> DataError:
    """Build the 'file not found' error, naming the folder searched and near matches."""
    local = "file" in (fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,))
    folder = os.path.dirname(path) if local else posixpath.dirname(path)
    try:
        entries = [posixpath.basename(str(p).rstrip("/")) for p in fs.ls(folder, detail=False)]
    except (OSError, ValueError):
        return DataError(
            f"data source '{source}' does not exist: the folder '{folder}' does not exist either.",
            hint="Check data.source in boucle.yaml (relative paths there resolve against the "
            "folder of boucle.yaml).",
        )
    tables = sorted(e for e in entries if e.lower().endswith(SUPPORTED_EXTENSIONS))
    close = difflib.get_close_matches(posixpath.basename(path), tables, n=1)
    listing = ", ".join(tables[:10]) + (", ..." if len(tables) > 10 else "") or "none"
    suggestion = f" Did you mean '{close[0]}'?" if close else ""
    return DataError(
        f"data source '{source}' does not exist (searched the folder '{folder}'; data files "
        f"there: {listing}).",
        hint=f"Check data.source in boucle.yaml.{suggestion}",
    )


def _describe(exc: BaseException) -> str:
    """One line for a library exception: its type and first line, ending with a period."""
    text = str(exc).strip().splitlines()[0].strip() if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text.rstrip('.')}." if text else f"{type(exc).__name__}."


def _no_rows(source: str, why: str) -> DataError:
    return DataError(
        f"data source '{source}' has no rows ({why}).",
        hint="Point data.source at the full export, or check read_options such as skiprows/nrows.",
    )


def _access_errors() -> tuple[type[BaseException], ...]:
    """Errors a file system raises for unreachable sources (botocore's when installed)."""
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:  # pragma: no cover - s3fs is a dependency, botocore comes with it
        return (OSError, ValueError)
    return (OSError, ValueError, BotoCoreError, ClientError)


def _file_size(source: str, fs: AbstractFileSystem, path: str) -> int:
    try:
        info = fs.info(path)
    except FileNotFoundError:
        raise _missing(source, fs, path) from None
    except _access_errors() as exc:
        raise DataError(
            f"cannot access data source '{source}': {_describe(exc)}",
            hint="Check the credentials in storage_options and that the bucket exists.",
        ) from exc
    if info.get("type") == "directory":
        raise DataError(
            f"data source '{source}' is a folder, not a file.",
            hint="Point data.source at one .csv or .parquet file inside it.",
        )
    return int(info.get("size") or 0)


def read_table(
    source: str,
    read_options: Mapping[str, Any] | None = None,
    storage_options: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Read ``source`` (local path or fsspec URL) into a DataFrame with at least one row.

    ``.csv``, ``.data``, ``.txt`` (optionally ``.gz``) go to :func:`pandas.read_csv`,
    ``.parquet`` to :func:`pandas.read_parquet`; ``read_options`` are passed to that reader
    (``sep``, ``header``, ``names``, ``na_values``, ``skipinitialspace``...) and
    ``storage_options`` to fsspec (credentials, endpoint). Raises :class:`DataError` when the
    file is missing, empty, header-only, unparseable or has an unsupported extension.
    """
    import pandas as pd
    from pyarrow import ArrowException

    reader, compression = table_format(source)
    fs, path = _file_system(source, storage_options)
    if _file_size(source, fs, path) == 0:
        raise _no_rows(source, "the file is empty, 0 bytes")
    options = dict(read_options or {})
    if compression is not None:
        options.setdefault("compression", compression)
    what = "Parquet" if reader == "parquet" else "CSV"
    try:
        with fs.open(path, "rb") as handle:
            if reader == "parquet":
                frame: Any = pd.read_parquet(handle, **options)
            else:
                frame = pd.read_csv(handle, **options)
    except pd.errors.EmptyDataError as exc:
        raise _no_rows(source, "the file holds no header and no data") from exc
    except FileNotFoundError:
        raise _missing(source, fs, path) from None
    except TypeError as exc:
        raise DataError(
            f"read_options {sorted(options)} for '{source}' were refused by the {what} "
            f"reader: {_describe(exc)}",
            hint="Remove or rename the option; see pandas.read_csv / read_parquet for names.",
        ) from exc
    except UnicodeDecodeError as exc:
        raise DataError(
            f"data source '{source}' is not valid text in the expected encoding: {_describe(exc)}",
            hint="Set read_options.encoding, e.g. 'latin-1' or 'cp1252'.",
        ) from exc
    except (ValueError, OSError, EOFError, ArrowException) as exc:
        raise DataError(
            f"data source '{source}' could not be parsed as {what}: {_describe(exc)}",
            hint=_OPTIONS_HINT if what == "CSV" else "Check that the file is a valid Parquet file.",
        ) from exc
    if not isinstance(frame, pd.DataFrame):  # e.g. chunksize/iterator return a reader
        raise DataError(
            f"read_options for '{source}' made the reader return {type(frame).__name__}, "
            "not a table.",
            hint="Remove 'chunksize' and 'iterator' from read_options.",
        )
    if len(frame) == 0:
        why = "only a header line" if what == "CSV" else "the Parquet file has 0 rows"
        raise _no_rows(source, f"{why}; columns: {', '.join(map(str, frame.columns))}")
    return frame


def hash_source(source: str, storage_options: Mapping[str, Any] | None = None) -> str:
    """Return the blake3 hex digest of the raw bytes of ``source``, read in 1 MiB chunks."""
    from blake3 import blake3  # incremental hasher: boucle.hashing has one-shot helpers only

    from boucle.store.paths import is_local_url, strip_file_scheme

    hasher = blake3()
    local = strip_file_scheme(source) if is_local_url(source) else None
    if local is not None and os.path.isfile(local):
        # A plain local file (the common case, and every cached re-run): no fsspec import.
        def open_source() -> Any:
            return open(local, "rb")
    else:
        fs, path = _file_system(source, storage_options)
        _file_size(source, fs, path)  # raises the 'missing' DataError with the folder searched

        def open_source() -> Any:
            return fs.open(path, "rb")

    try:
        with open_source() as handle:
            while chunk := handle.read(_CHUNK_SIZE):
                hasher.update(chunk)
    except OSError as exc:
        raise DataError(
            f"cannot read data source '{source}': {_describe(exc)}",
            hint="Check that the file is readable and the storage_options credentials.",
        ) from exc
    return str(hasher.hexdigest())
