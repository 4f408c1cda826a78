"""Monitoring hooks of the loop: the reference profile (a step) and the drift check (on demand).

The ``reference`` step profiles the training rows once — histograms, quantile sketch,
category counts — and stores the profile (JSON, never pickle). ``check_drift`` later compares
any window of production data with it, without re-reading the training data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from boucle.hashing import canonical_json
from boucle.runner.graph import Manifest, Step
from boucle.runner.steps import load_split_frames

if TYPE_CHECKING:
    import pandas as pd

    from boucle.monitor import DriftReport
    from boucle.runner.context import RunContext

__all__ = ["REFERENCE_STEP", "check_drift", "reference"]


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


def check_drift(
    ctx: RunContext, reference_manifest: Manifest, current: pd.DataFrame, *, alpha: float
) -> DriftReport:
    """Compare ``current`` with the stored reference; write the report and a ledger event."""
    from boucle.monitor import ReferenceProfile, compute_drift

    profile = ReferenceProfile.from_bytes(
        ctx.store.get_bytes(reference_manifest["reference_digest"])
    )
    features = [c for c in reference_manifest["features"] if c in current.columns]
    report = compute_drift(profile, current[features], alpha=alpha)
    document: dict[str, Any] = report.to_dict()
    digest = ctx.store.put_bytes(canonical_json(document))
    ctx.store.write_bytes_atomic(f"monitor/{ctx.run_id}.json", canonical_json(document))
    ctx.ledger_event(
        "drift_checked",
        {
            "rows": len(current),
            "dataset_drift": report.dataset_drift,
            "share_drifted": report.share_drifted,
            "drifted": list(report.drifted_features),
            "missing_features": [c for c in reference_manifest["features"] if c not in features],
            "report_digest": digest,
        },
    )
    return report


REFERENCE_STEP = Step(
    "reference",
    reference,
    config=lambda c: {"target": c.data.target, "seed": c.split.seed},
    code=("monitor", "runner/monitor_step"),
)
