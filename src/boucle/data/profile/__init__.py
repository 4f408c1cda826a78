"""Data profiling: per-column statistics, correlations and the target, as JSON and as HTML.

:func:`profile_table` computes a :class:`TableProfile` (``.to_dict()`` is JSON-ready);
:func:`render_profile` turns it, with optional validation, PII and representation results,
into a self-contained HTML page (see :mod:`boucle.reports`)::

    profile = profile_table(frame, target="income", task="classification")
    write_report(render_profile(profile, title="Adult"), "reports/profile.html")

numpy and pandas do the work; the rendering imports Jinja2 only when called.
"""

from __future__ import annotations

from boucle.data.profile.model import (
    ColumnKind,
    ColumnProfile,
    CorrelationMatrix,
    Correlations,
    Histogram,
    NumericSummary,
    Overview,
    ProfileTask,
    TableProfile,
    TargetProfile,
)
from boucle.data.profile.render import render_profile
from boucle.data.profile.table import profile_table

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
    "profile_table",
    "render_profile",
]
