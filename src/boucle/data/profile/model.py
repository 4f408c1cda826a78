"""What :func:`~boucle.data.profile.profile_table` found, as frozen, JSON-ready dataclasses.

Every ``to_dict()`` returns plain Python values (no numpy scalars) and strict JSON: NaN and
infinities become ``None``, so a profile can be hashed with :func:`boucle.hashing.hash_json`
and stored beside its snapshot.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Literal

__all__ = [
    "ColumnKind",
    "ColumnProfile",
    "CorrelationMatrix",
    "Correlations",
    "Histogram",
    "NumericSummary",
    "Overview",
    "ProfileTask",
    "TableProfile",
    "TargetProfile",
]

ColumnKind = Literal["numeric", "categorical", "datetime"]
ProfileTask = Literal["classification", "regression"]


def json_ready(value: Any) -> Any:
    """Turn tuples into lists and NaN or infinite floats into ``None``, recursively."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(item) for item in value]
    return value


@dataclass(frozen=True)
class Histogram:
    """Counts of values per bin; ``edges`` has one more entry than ``counts``.

    Bins are half-open ``[edge, next)`` except the last, which is closed (``np.histogram``).
    Datetime histograms have edges in seconds since 1970-01-01 UTC.
    """

    edges: tuple[float, ...]
    counts: tuple[int, ...]


@dataclass(frozen=True)
class NumericSummary:
    """Moments and order statistics of the finite values of a numeric column.

    ``quantiles`` maps ``"5%"``, ``"25%"``, ``"50%"``, ``"75%"``, ``"95%"`` to values computed
    like ``np.quantile`` (linear interpolation). ``std`` is the sample standard deviation
    (ddof=1) and ``skewness`` the adjusted Fisher-Pearson coefficient, as pandas computes them.
    ``infinite`` counts ±inf values, which are excluded from every other statistic.
    """

    mean: float | None
    std: float | None
    min: float | None
    max: float | None
    quantiles: dict[str, float | None]
    skewness: float | None
    zeros: int
    negatives: int
    infinite: int


@dataclass(frozen=True)
class ColumnProfile:
    """Statistics of one column.

    ``count`` is the number of non-missing values, ``distinct`` of distinct non-missing values.
    Numeric columns fill ``summary`` and ``histogram``; categorical ones ``top_values`` (label,
    count; most frequent first) and ``other_count`` (values outside the top); datetime ones
    ``time_range`` (ISO 8601 min and max) and ``histogram``. ``warnings`` are short flags:
    ``constant``, ``all missing``, ``many missing``, ``unique``, ``high cardinality``,
    ``many zeros``, ``skewed``, ``infinite values``.
    """

    name: str
    kind: ColumnKind
    dtype: str
    count: int
    missing: int
    distinct: int
    summary: NumericSummary | None = None
    histogram: Histogram | None = None
    top_values: tuple[tuple[str, int], ...] = ()
    other_count: int = 0
    time_range: tuple[str, str] | None = None
    warnings: tuple[str, ...] = ()

    @property
    def missing_share(self) -> float:
        """Share of missing values among all rows (0 for an empty column)."""
        rows = self.count + self.missing
        return self.missing / rows if rows else 0.0

    def to_dict(self) -> dict[str, Any]:
        """Return the column profile as plain JSON-ready values."""
        values = json_ready(asdict(self))
        values["top_values"] = [{"value": v, "count": n} for v, n in self.top_values]
        values["missing_share"] = self.missing_share
        return dict(values)


@dataclass(frozen=True)
class CorrelationMatrix:
    """A symmetric matrix over ``columns``; ``None`` where a pair could not be computed."""

    method: str
    columns: tuple[str, ...]
    values: tuple[tuple[float | None, ...], ...]

    def value(self, first: str, second: str) -> float | None:
        """Return the entry for the pair of column names ``first`` and ``second``."""
        return self.values[self.columns.index(first)][self.columns.index(second)]


@dataclass(frozen=True)
class Correlations:
    """Pairwise dependence measured on a random sample of ``sample_rows`` rows.

    ``pearson`` and ``spearman`` cover the numeric columns (pairwise-complete rows).
    ``association`` covers numeric and categorical columns on a common [0, 1] scale:
    |Spearman| between two numeric columns, Cramér's V between two categorical ones (each
    capped to its most frequent categories, the rest pooled) and the correlation ratio (eta)
    between a numeric and a categorical one. Categorical columns with a single category or
    with almost only distinct values (identifiers) are left out, and so are constant numeric
    columns. At most 100 columns take part (the target, then the first others in table order).
    """

    sample_rows: int
    seed: int
    pearson: CorrelationMatrix
    spearman: CorrelationMatrix
    association: CorrelationMatrix


@dataclass(frozen=True)
class TargetProfile:
    """The target column: class counts (classification) or its histogram (regression).

    ``associations`` lists ``(column, method, value)`` for every other column in the
    association matrix, strongest first: a quick view of which features carry signal.
    ``imbalance`` is the majority class count over the minority class count.
    """

    name: str
    task: ProfileTask
    missing: int
    classes: tuple[tuple[str, int], ...] = ()
    imbalance: float | None = None
    histogram: Histogram | None = None
    associations: tuple[tuple[str, str, float], ...] = ()


@dataclass(frozen=True)
class Overview:
    """Table-level facts; ``duplicate_rows`` counts rows equal to an earlier row."""

    rows: int
    columns: int
    memory_bytes: int
    duplicate_rows: int
    missing_cells: int
    kinds: dict[str, int]

    @property
    def missing_share(self) -> float:
        """Share of missing cells among all cells."""
        cells = self.rows * self.columns
        return self.missing_cells / cells if cells else 0.0


@dataclass(frozen=True)
class TableProfile:
    """Everything :func:`~boucle.data.profile.profile_table` computed about a table."""

    overview: Overview
    columns: tuple[ColumnProfile, ...]
    correlations: Correlations
    target: TargetProfile | None = None

    def __getitem__(self, name: str) -> ColumnProfile:
        """Return the profile of the column called ``name``."""
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """Return the whole profile as plain JSON-ready values."""
        overview = json_ready(asdict(self.overview))
        overview["missing_share"] = self.overview.missing_share
        target = None
        if self.target is not None:
            target = json_ready(asdict(self.target))
            target["classes"] = [{"value": v, "count": n} for v, n in self.target.classes]
            target["associations"] = [
                {"column": c, "method": m, "value": v} for c, m, v in self.target.associations
            ]
        return {
            "overview": overview,
            "columns": [column.to_dict() for column in self.columns],
            "correlations": json_ready(asdict(self.correlations)),
            "target": target,
        }
