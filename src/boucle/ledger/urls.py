"""Ledger URLs without SQLAlchemy: masking passwords, the native SQLite fast path, errors.

``sqlite:///path`` (no driver, no query) opens the ledger with Python's own ``sqlite3``: no
SQLAlchemy import, which is most of the cost of a cached ``boucle run``. Any other URL,
``sqlite+pysqlite:///path`` included, goes through SQLAlchemy.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from boucle.errors import LedgerError

__all__ = ["URL_EXAMPLES", "mask_url", "native_sqlite_path", "translate_error"]

URL_EXAMPLES = (
    "e.g. sqlite:////abs/path/.boucle/ledger.db or postgresql+psycopg://user@host:5432/db"
)

_NATIVE_SQLITE = re.compile(r"^sqlite:///(?P<path>[^?#]+)$")


def mask_url(url: str) -> str:
    """Return ``url`` with any password replaced by ``***``, safe to show in messages."""
    return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", url)


def native_sqlite_path(url: str) -> str | None:
    """The database file of a plain ``sqlite:///path`` URL, or None for any other URL.

    In-memory databases (``sqlite://``, ``sqlite:///:memory:``) and URLs with a driver or a
    query string are left to SQLAlchemy.
    """
    match = _NATIVE_SQLITE.match(url)
    if match is None:
        return None
    path = unquote(match.group("path"))
    if path == ":memory:" or path.startswith("file:"):
        return None
    return path


def translate_error(exc: Exception, *, action: str, url: str) -> LedgerError:
    """Turn a database failure while doing ``action`` into a :class:`LedgerError`."""
    shown = mask_url(url)
    cause = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    detail = cause[0] if cause else type(exc).__name__
    if shown.startswith("sqlite"):
        hint = (
            "Check that the file's folder exists and is writable, that no other program holds "
            f"the database locked for long, or point the ledger at another file, {URL_EXAMPLES}."
        )
    else:
        hint = (
            "Check that the PostgreSQL server is running and reachable from here, and that the "
            "user, password and database in the URL exist (create it with `createdb`)."
        )
    return LedgerError(f"cannot {action} the ledger at '{shown}': {detail}.", hint=hint)
