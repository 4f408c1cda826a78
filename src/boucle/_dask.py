"""What the Dask paths (batch scoring, drift over partitions) share: collecting task results.

A task returns its result, or a dict describing one of our errors (a BoucleError does not
cross the worker boundary intact); a worker that dies or hits a bug raises. Either way the
other tasks are cancelled and the user gets one BoucleError.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from boucle import errors
from boucle.errors import BoucleError, DataError

__all__ = ["completed_results", "error_of"]


def error_of(result: Mapping[str, Any]) -> BoucleError:
    """Rebuild the BoucleError a task reported as ``{"class", "message", "hint"}``."""
    kind = getattr(errors, str(result.get("class")), None)
    if not (isinstance(kind, type) and issubclass(kind, BoucleError)) or kind is errors.StepError:
        kind = DataError
    error: BoucleError = kind(str(result["message"]), hint=result.get("hint"))
    return error


def completed_results(
    client: Any, futures: Sequence[Any], *, failure: str, hint: str
) -> Iterator[Any]:
    """Yield each task's result as it completes; cancel the rest and raise on a failure.

    ``failure`` completes "a Dask worker failed ..." (e.g. "to score a partition").
    """
    from distributed import as_completed

    for future in as_completed(futures):  # type: ignore[no-untyped-call]
        try:
            result = future.result()
        except Exception as exc:  # a worker died, or a bug: not one of our errors
            client.cancel(futures)
            raise BoucleError(
                f"a Dask worker failed {failure}: {type(exc).__name__}: {exc}", hint=hint
            ) from exc
        if isinstance(result, dict):  # a task failed with one of our errors
            client.cancel(futures)
            raise error_of(result)
        yield result
