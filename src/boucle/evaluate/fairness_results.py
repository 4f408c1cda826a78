"""The fairness step's results: group rates, the gate's checks and the verdict.

:class:`FairnessReport` holds one :class:`AttributeFairness` per sensitive column (or pair of
columns, or class for a multiclass target); each lists its groups' rates and the gate's
:class:`GateCheck` thresholds. The report's ``passed``, ``measured`` and ``verdict`` say whether
the gate passed, failed or measured nothing. :func:`boucle.evaluate.fairness.fairness_report`
computes it; the robustness report reuses :class:`GateCheck`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np

__all__ = ["AttributeFairness", "FairnessReport", "GateCheck"]


@dataclass(frozen=True)
class GateCheck:
    """One threshold of the gate on one attribute: ``passed`` is ``None`` when not measurable."""

    name: str
    value: float | None
    threshold: float
    passed: bool | None
    detail: str = ""


@dataclass(frozen=True)
class AttributeFairness:
    """Group rates and the gate's checks of one sensitive column or pair of columns."""

    name: str
    columns: list[str]
    groups: list[dict[str, Any]]
    dp_difference: float | None
    dp_ratio: float | None
    eo_difference: float | None
    ignored: list[str]
    checks: list[GateCheck]

    @property
    def failures(self) -> list[str]:
        """One sentence per failed check."""
        return [f"{self.name}: {check.detail}" for check in self.checks if check.passed is False]

    @property
    def measured(self) -> bool:
        """True when at least two groups were large enough to compare."""
        return self.dp_difference is not None or self.eo_difference is not None


@dataclass(frozen=True)
class FairnessReport:
    """Everything the fairness step measured; ``passed`` is the gate's verdict.

    The verdict has three outcomes: ``passed`` (something was measured and no check
    failed), ``failed`` (a check failed) and ``not measured`` (nothing could be compared:
    ``passed`` is False too, and ``unmeasured_reason`` says why).
    """

    positive_class: str
    min_group_size: int
    confidence: float
    attributes: list[AttributeFairness]
    notes: list[str] = field(default_factory=list)

    @property
    def failures(self) -> list[str]:
        """Every failed check, in attribute order."""
        return [failure for attribute in self.attributes for failure in attribute.failures]

    @property
    def measured(self) -> bool:
        """True when at least one attribute had two groups of ``min_group_size`` rows."""
        return any(attribute.measured for attribute in self.attributes)

    @property
    def unmeasured_reason(self) -> str | None:
        """Why nothing was measured (None when something was)."""
        if self.measured:
            return None
        if not self.attributes:
            return "no sensitive column to group by (data.sensitive is empty or names no feature)"
        sizes: dict[tuple[str, ...], str] = {}
        eligible = 0
        for attribute in self.attributes:  # a multiclass report repeats them: once each
            counts = {str(g["group"]): int(g["count"]) for g in attribute.groups}
            large = sum(count >= self.min_group_size for count in counts.values())
            eligible += large
            largest = max(counts, key=counts.__getitem__, default="")
            sizes.setdefault(
                tuple(attribute.columns),
                f"{' & '.join(attribute.columns)}: {large} of {len(counts)} groups, largest "
                f"'{largest}' {counts.get(largest, 0)} rows",
            )
        shown = "; ".join(list(sizes.values())[:3])
        if len(sizes) > 3:
            shown += f"; and {len(sizes) - 3} more"
        if not eligible:
            return f"every group is below the minimum size of {self.min_group_size} rows ({shown})"
        return (
            f"no sensitive column has two groups of at least {self.min_group_size} rows ({shown})"
        )

    @property
    def passed(self) -> bool:
        """True when something was measured and no check failed.

        Checks that could not be measured do not fail, but a report where *nothing* could be
        measured does not pass either (see :attr:`unmeasured_reason`).
        """
        return self.measured and not self.failures

    @property
    def verdict(self) -> Literal["passed", "failed", "not measured"]:
        """``passed``, ``failed`` or ``not measured``."""
        if self.failures:
            return "failed"
        return "passed" if self.measured else "not measured"

    def metrics(self) -> dict[str, dict[str, Any]]:
        """Per attribute: the gate's metrics and group counts (the ledger event's metrics)."""
        return {
            a.name: {
                "dp_difference": a.dp_difference,
                "dp_ratio": a.dp_ratio,
                "eo_difference": a.eo_difference,
                "groups": len(a.groups),
                "ignored_groups": len(a.ignored),
            }
            for a in self.attributes
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready report."""
        data = asdict(self)
        data.update(
            passed=self.passed,
            failures=self.failures,
            measured=self.measured,
            unmeasured_reason=self.unmeasured_reason,
            verdict=self.verdict,
        )
        result: dict[str, Any] = _finite(data)
        return result


def _finite(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value
