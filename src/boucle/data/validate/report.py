"""What the data gate found: one :class:`CheckResult` per finding, gathered in a report.

``ValidationReport.to_dict()`` is what the runner writes as validation.json, so every value in
it is plain JSON (numpy scalars, timestamps and NaN are converted here, once).
:func:`raise_for_errors` turns the failed ``error`` checks into one :class:`DataError` that
lists them all, so a user fixes every problem in one pass instead of one per run.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from boucle.errors import DataError

if TYPE_CHECKING:
    from boucle.config.checks import Severity
    from boucle.data.pii import PiiReport

__all__ = ["CheckResult", "ValidationReport", "raise_for_errors", "to_jsonable"]

_FAIL_MARK = {"error": "x", "warn": "!", "off": "-"}


def to_jsonable(value: Any) -> Any:
    """Return ``value`` as plain JSON data: numpy scalars to Python, NaN to None, keys to str."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(item) for item in value]
    item = getattr(value, "item", None)  # numpy scalars (np.int64, np.float32, np.bool_)
    if callable(item) and getattr(value, "ndim", None) == 0:
        return to_jsonable(item())
    tolist = getattr(value, "tolist", None)  # numpy arrays, pandas Index / Series
    if callable(tolist):
        return to_jsonable(tolist())
    isoformat = getattr(value, "isoformat", None)  # datetime, pd.Timestamp
    if callable(isoformat):
        return str(isoformat())
    if value != value:  # pd.NA, pd.NaT and other missing markers
        return None
    return str(value)


@dataclass(frozen=True)
class CheckResult:
    """The verdict of one check on one column (``column`` None: on the whole table).

    ``passed`` False with ``severity`` ``error`` stops the run; with ``warn`` it is recorded.
    ``message`` is one line with the numbers; ``details`` holds them (counts, shares,
    thresholds, up to 5 examples) for validation.json.
    """

    name: str
    column: str | None
    severity: Severity
    passed: bool
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """``name`` or ``name[column]``: how the result is named in messages."""
        return self.name if self.column is None else f"{self.name}[{self.column}]"

    def to_dict(self) -> dict[str, Any]:
        """Return the result as plain JSON-ready values."""
        return {
            "name": self.name,
            "column": self.column,
            "severity": self.severity,
            "passed": self.passed,
            "message": self.message,
            "details": to_jsonable(self.details),
        }


@dataclass(frozen=True)
class ValidationReport:
    """Every check result on one table, plus what was skipped and the source metadata.

    ``pii`` keeps the detector's findings so that :func:`apply_pii_policies` can act on them
    without scanning the table again.
    """

    results: tuple[CheckResult, ...]
    rows: int
    columns: int
    skipped: tuple[str, ...] = ()
    sources: dict[str, Any] = field(default_factory=dict)
    pii: PiiReport | None = field(default=None, compare=False)
    duration_s: float = 0.0

    @property
    def failed_errors(self) -> list[CheckResult]:
        """Failed checks of severity ``error``: any of them stops the run."""
        return [r for r in self.results if not r.passed and r.severity == "error"]

    @property
    def warnings(self) -> list[CheckResult]:
        """Failed checks of severity ``warn``: recorded, never raised."""
        return [r for r in self.results if not r.passed and r.severity == "warn"]

    @property
    def passed(self) -> bool:
        """True when no check of severity ``error`` failed."""
        return not self.failed_errors

    def to_dict(self) -> dict[str, Any]:
        """Return the report as plain JSON-ready values (the content of validation.json)."""
        return {
            "passed": self.passed,
            "rows": self.rows,
            "columns": self.columns,
            "counts": {
                "checks": len(self.results),
                "errors": len(self.failed_errors),
                "warnings": len(self.warnings),
            },
            "duration_s": round(self.duration_s, 3),
            "sources": to_jsonable(self.sources),
            "skipped": list(self.skipped),
            "results": [result.to_dict() for result in self.results],
            "pii": None if self.pii is None else self.pii.to_dict(),
        }

    def summary(self) -> str:
        """Return a few lines for a terminal: the verdict, then each failed check."""
        verdict = "passed" if self.passed else "FAILED"
        lines = [
            f"data validation {verdict}: {len(self.results)} checks on {self.rows} rows x "
            f"{self.columns} columns, {len(self.failed_errors)} error(s), "
            f"{len(self.warnings)} warning(s)"
        ]
        for result in (*self.failed_errors, *self.warnings):
            lines.append(f"  {_FAIL_MARK[result.severity]} {result.label}: {result.message}")
        if self.skipped:
            lines.append(f"  skipped: {', '.join(self.skipped)}")
        return "\n".join(lines)


def raise_for_errors(report: ValidationReport) -> None:
    """Raise :class:`~boucle.errors.DataError` listing every failed ``error`` check, if any.

    One line per failed check, with its numbers; warnings never raise.
    """
    failed = report.failed_errors
    if not failed:
        return
    lines = "\n".join(f"  - {result.label}: {result.message}" for result in failed)
    names = sorted({result.name for result in failed})
    raise DataError(
        f"data validation failed: {len(failed)} error check(s) on {report.rows} rows:\n{lines}\n",
        hint="Fix the data, edit the schema file, or relax the check in boucle.yaml under "
        f"data.checks ({', '.join(names)}: severity 'warn' records it without stopping).",
    )
