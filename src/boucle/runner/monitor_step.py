"""Monitoring hooks of the loop: the reference profile (a step) and the drift check (on demand).

The ``reference`` step profiles the training rows once — histograms, quantile sketch,
category counts — and stores the profile (JSON, never pickle). ``check_drift`` later compares
any window of production data with it, without re-reading the training data.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from boucle.hashing import canonical_json
from boucle.runner.graph import Manifest, Step
from boucle.runner.step_inputs import load_split_frames

if TYPE_CHECKING:
    import pandas as pd

    from boucle.monitor import DriftReport
    from boucle.monitor.distributed import PartitionedSource
    from boucle.runner.context import RunContext

__all__ = [
    "FEW_ROWS",
    "REFERENCE_STEP",
    "check_drift",
    "configured_drift_tests",
    "drift_notes",
    "reference",
]


def reference(ctx: RunContext, validate: Manifest, split: Manifest) -> Manifest:
    """Profile the training rows as the drift reference and store the profile."""
    from boucle.monitor import ReferenceProfile

    x_train, _, _, _, _ = load_split_frames(ctx, validate, split)
    profile = ReferenceProfile.from_frame(x_train, seed=ctx.config.split.seed)
    digest = ctx.store.put_bytes(profile.to_bytes())
    return {
        "reference_digest": digest,
        "rows": len(x_train),
        "features": list(x_train.columns),
        "artifacts": [digest],
    }


def configured_drift_tests(names: Sequence[str]) -> list[str]:
    """The plug-in drift tests of ``monitor.drift_tests`` (built-in names are always computed)."""
    from boucle.plugins import reserved_names

    builtin = reserved_names("drift_test")
    return [name for name in names if name not in builtin]


#: Below this many rows a window is reported with a "too few rows" note.
FEW_ROWS = 50


def drift_notes(report: DriftReport) -> list[str]:
    """Plain-language caveats on a report: too few rows, empty and constant features."""
    notes: list[str] = []
    rows = int(report.runtime.get("rows", 0))
    if rows < FEW_ROWS:
        notes.append(
            f"too few rows: {rows} (fewer than {FEW_ROWS}); the tests have little power, so "
            "'no drift' means 'cannot tell'. Monitor a longer window."
        )
    for row in report.features:
        if row.n_current == 0:
            notes.append(f"feature '{row.feature}' has no value in the current data (all missing).")
        elif row.kind == "numeric" and (row.details.get("std") or {}).get("reference") == 0.0:
            notes.append(f"feature '{row.feature}' is constant in the reference.")
    return notes


def check_drift(
    ctx: RunContext,
    reference_manifest: Manifest,
    current: pd.DataFrame | PartitionedSource,
    *,
    alpha: float,
    tests: Sequence[str] | None = None,
    dask: bool = True,
    workers: int | None = None,
) -> DriftReport:
    """Compare ``current`` with the stored reference; write the report and a ledger event.

    ``current`` is a DataFrame holding every reference feature (extra columns are ignored),
    or a :class:`~boucle.monitor.distributed.PartitionedSource`, scanned on a local Dask
    cluster of ``workers`` with ``dask``, else streamed chunk by chunk in this process.
    ``tests`` adds plug-in drift tests (default: ``monitor.drift_tests``). The report's
    ``runtime["notes"]`` holds :func:`drift_notes`.
    """
    from boucle.monitor import ReferenceProfile, compute_drift
    from boucle.monitor.distributed import PartitionedSource, drift_partitioned, iter_chunks
    from boucle.monitor.drift import column_mismatch

    profile = ReferenceProfile.from_bytes(
        ctx.store.get_bytes(reference_manifest["reference_digest"])
    )
    features = list(reference_manifest["features"])
    plugins = configured_drift_tests(ctx.config.monitor.drift_tests if tests is None else tests)
    if isinstance(current, PartitionedSource) and dask:
        report = drift_partitioned(profile, current, alpha=alpha, tests=plugins, workers=workers)
    elif isinstance(current, PartitionedSource):
        chunks = iter_chunks(current, features)
        report = compute_drift(profile, chunks, alpha=alpha, tests=plugins)
    else:
        columns = [str(c) for c in current.columns]
        if any(c not in columns for c in features):
            raise column_mismatch(features, columns, where=f"{len(current)} rows")
        report = compute_drift(profile, current[features], alpha=alpha, tests=plugins)
    notes = drift_notes(report)
    report = dataclasses.replace(report, runtime={**report.runtime, "notes": notes})
    document: dict[str, Any] = report.to_dict()
    digest = ctx.store.put_bytes(canonical_json(document))
    ctx.store.write_bytes_atomic(f"monitor/{ctx.run_id}.json", canonical_json(document))
    ctx.ledger_event(
        "drift_checked",
        {
            "rows": int(report.runtime["rows"]),
            "dataset_drift": report.dataset_drift,
            "share_drifted": report.share_drifted,
            "drifted": list(report.drifted_features),
            "missing_features": [],
            "tests": plugins,
            "notes": notes,
            "report_digest": digest,
        },
    )
    return report


REFERENCE_STEP = Step(
    "reference",
    reference,
    config=lambda c: {"target": c.data.target, "seed": c.split.seed},
    code=("monitor", "runner/monitor_step", "runner/step_inputs"),
)
