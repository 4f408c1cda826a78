"""One exception tree for everything boucle raises at its users.

Every user-facing failure is a :class:`BoucleError` whose message says *what* failed,
*the value that was wrong* and *how to fix it*. Exceptions from libraries are translated
once, at the boundary where we call the library, and chained (``raise ... from exc``).

::

    BoucleError
    ├── ConfigError          boucle.yaml unreadable, unknown key, wrong type, bad value
    ├── DataError            data source missing, empty, unusable target
    ├── StoreError           artifact store cannot read or write
    │   ├── IntegrityError   stored bytes do not match their content hash
    │   └── UnsafePathError  a write would land outside ``stores.root``
    ├── LedgerError          audit ledger unreachable or inconsistent
    ├── TrainingError        model fitting or hyper-parameter search failed
    ├── TrackingError        MLflow tracking or model registry failed
    ├── ExportError          ONNX conversion, parity check or quantization failed
    └── StepError            a pipeline step failed (wraps the cause, names the step)
"""

from __future__ import annotations

__all__ = [
    "BoucleError",
    "ConfigError",
    "DataError",
    "ExportError",
    "IntegrityError",
    "LedgerError",
    "StepError",
    "StoreError",
    "TrackingError",
    "TrainingError",
    "UnsafePathError",
]


class BoucleError(Exception):
    """Base of every error boucle raises on purpose.

    ``message`` says what failed (quoting the bad value); ``hint`` says how to fix it.
    ``str(error)`` joins both into one paragraph, which is what the CLI prints.
    """

    exit_code: int = 2

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(message if hint is None else f"{message} {hint}")


class ConfigError(BoucleError):
    """boucle.yaml cannot be read, has an unknown key, a wrong type or a bad value."""


class DataError(BoucleError):
    """The data source is missing, empty, or cannot be used for the configured task."""


class StoreError(BoucleError):
    """The artifact store cannot read or write an object."""


class IntegrityError(StoreError):
    """Stored bytes do not match the content hash they are filed under."""


class UnsafePathError(StoreError):
    """A write would land outside ``stores.root`` (path traversal)."""


class LedgerError(BoucleError):
    """The audit ledger is unreachable or cannot append."""


class TrainingError(BoucleError):
    """Model fitting or the hyper-parameter search failed."""


class TrackingError(BoucleError):
    """MLflow tracking or the model registry failed."""


class ExportError(BoucleError):
    """ONNX conversion, the parity check or quantization of a model failed."""


class StepError(BoucleError):
    """A pipeline step failed; ``step`` names it and ``__cause__`` holds the reason."""

    def __init__(self, step: str, message: str, *, hint: str | None = None) -> None:
        self.step = step
        super().__init__(f"step '{step}' failed: {message}", hint=hint)
