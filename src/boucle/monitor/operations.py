"""Operations from the prediction log: request rate, latency percentiles, error rate.

One line per model version (and one for everything): what ``/metrics`` shows live, but over
any past window, from the durable log. Shadow records are counted apart: they never answered
a client, so their latency is not the service's.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["OpsLine", "OpsReport", "operations_report"]


@dataclass(frozen=True)
class OpsLine:
    """Requests of one model version (``version = "all"`` for the total)."""

    version: str
    requests: int
    errors: int
    error_rate: float | None
    requests_per_s: float | None
    p50_ms: float | None
    p99_ms: float | None
    records: int


@dataclass(frozen=True)
class OpsReport:
    """The lines of the log's time span, and the span itself."""

    start: str | None
    end: str | None
    lines: list[OpsLine]
    shadow_requests: int

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        return asdict(self)

    def values(self) -> dict[str, float]:
        """Flat ``ops.<name>`` values of the total line (what alert rules read)."""
        total = next((line for line in self.lines if line.version == "all"), None)
        if total is None:
            return {}
        flat = {
            "ops.requests": float(total.requests),
            "ops.errors": float(total.errors),
            "ops.error_rate": total.error_rate,
            "ops.requests_per_s": total.requests_per_s,
            "ops.p50_ms": total.p50_ms,
            "ops.p99_ms": total.p99_ms,
        }
        return {name: float(value) for name, value in flat.items() if value is not None}


def operations_report(log: pd.DataFrame) -> OpsReport:
    """Summarise the ``kind = "prediction"`` records of ``log`` (the prediction log)."""

    served = log[log["kind"] == "prediction"]
    shadow = int((log["kind"] == "shadow").sum())
    if served.empty:
        return OpsReport(None, None, [], shadow)
    from boucle.monitor.feedback_join import utc_times

    times = utc_times(served["timestamp"])
    span = (times.max() - times.min()).total_seconds()
    versions = served["model_version"].astype("string").fillna("none")
    lines = [_line("all", served, span)]
    for version, part in served.groupby(versions, sort=True):
        lines.append(_line(str(version), part, span))
    return OpsReport(times.min().isoformat(), times.max().isoformat(), lines, shadow)


def _line(version: str, part: pd.DataFrame, span: float) -> OpsLine:
    requests = len(part)
    errors = int((part["status"] >= 400).sum())
    latency = part.loc[part["status"] < 400, "latency_ms"].dropna().astype("float64")
    records = int(part["n_rows"].sum()) if "n_rows" in part.columns else requests
    return OpsLine(
        version=version,
        requests=requests,
        errors=errors,
        error_rate=errors / requests if requests else None,
        requests_per_s=requests / span if span > 0 else None,
        p50_ms=float(latency.quantile(0.5)) if len(latency) else None,
        p99_ms=float(latency.quantile(0.99)) if len(latency) else None,
        records=records,
    )
