"""Translate fsspec / botocore / OS exceptions into :class:`StoreError`, once, at the boundary."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from boucle.errors import BoucleError, StoreError

__all__ = ["translate_errors"]

_REMOTE_HINT = (
    "Check stores.root, that the bucket or folder exists, the credentials "
    "(AWS_ACCESS_KEY_ID / storage_options) and the network or endpoint URL."
)


def _library_errors() -> tuple[type[BaseException], ...]:
    """Exception types raised by the storage libraries we call (botocore only if installed)."""
    errors: list[type[BaseException]] = [OSError, ValueError, EOFError, TimeoutError]
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:  # pragma: no cover - s3fs is a dependency, botocore comes with it
        pass
    else:
        errors.extend([BotoCoreError, ClientError])
    return tuple(errors)


@contextmanager
def translate_errors(action: str, url: str) -> Iterator[None]:
    """Re-raise library errors inside the block as :class:`StoreError` naming ``url``.

    ``action`` is a verb phrase such as ``"read"`` or ``"write"``; the original exception is
    chained as ``__cause__``. Errors that already are :class:`BoucleError` pass through.
    """
    try:
        yield
    except BoucleError:
        raise
    except FileNotFoundError as exc:
        raise StoreError(
            f"cannot {action} '{url}': it does not exist ({exc}).",
            hint="Check that stores.root points at an existing folder or bucket and the "
            "object was written there.",
        ) from exc
    except PermissionError as exc:
        raise StoreError(
            f"cannot {action} '{url}': permission denied ({exc}).",
            hint="Check the credentials and that they grant this access to the folder or bucket.",
        ) from exc
    except _library_errors() as exc:
        raise StoreError(
            f"cannot {action} '{url}': {type(exc).__name__}: {exc}.", hint=_REMOTE_HINT
        ) from exc
