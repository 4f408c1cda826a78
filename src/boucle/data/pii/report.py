"""What :func:`~boucle.data.pii.detect_pii` found: one finding per column, JSON-ready."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["ColumnFinding", "PiiReport"]


@dataclass(frozen=True)
class ColumnFinding:
    """The verdict on one column.

    ``pii_type`` is None when the column holds no personal data we recognise. ``share`` is
    ``matched / checked``: of the non-null sampled values, the share assigned to the reported
    type (for a None column, to the best candidate type, which stayed under ``min_share``).
    ``examples_masked`` holds up to three matching values, masked; ``reason`` says why.
    """

    column: str
    pii_type: str | None
    share: float
    matched: int
    checked: int
    examples_masked: tuple[str, ...] = ()
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Return the finding as plain JSON-ready values."""
        return {
            "column": self.column,
            "pii_type": self.pii_type,
            "share": round(self.share, 4),
            "matched": self.matched,
            "checked": self.checked,
            "examples_masked": list(self.examples_masked),
            "reason": self.reason,
        }


@dataclass(frozen=True)
class PiiReport:
    """Findings for every column of a table, in column order.

    ``rows`` is the table's length, ``sampled_rows`` how many rows were checked; ``min_share``
    and ``seed`` are the settings the detection ran with.
    """

    columns: list[ColumnFinding]
    rows: int = 0
    sampled_rows: int = 0
    min_share: float = 0.5
    seed: int = 0
    _by_name: dict[str, ColumnFinding] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {finding.column: finding for finding in self.columns})

    def __getitem__(self, column: str) -> ColumnFinding:
        """Return the finding for ``column`` (its name as a string)."""
        return self._by_name[column]

    @property
    def pii_columns(self) -> dict[str, str]:
        """Map each flagged column to its PII type, in column order."""
        return {f.column: f.pii_type for f in self.columns if f.pii_type is not None}

    def to_dict(self) -> dict[str, Any]:
        """Return the report as plain JSON-ready values."""
        return {
            "rows": self.rows,
            "sampled_rows": self.sampled_rows,
            "min_share": self.min_share,
            "seed": self.seed,
            "pii_columns": self.pii_columns,
            "columns": [finding.to_dict() for finding in self.columns],
        }
