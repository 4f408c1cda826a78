"""The ``profile`` step: one self-contained HTML page on the snapshot and the data gate.

Overview, per-column statistics and charts, correlations, the target, then the validation
results, PII findings and representation table of the ``validate`` step. The page is stored
content-addressed and copied to ``reports/profile.html`` under ``stores.root``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from boucle.runner.graph import Manifest, Step

if TYPE_CHECKING:
    from boucle.runner.context import RunContext

__all__ = ["PROFILE_REPORT", "PROFILE_STEP", "profile"]

PROFILE_REPORT = "reports/profile.html"


def profile(ctx: RunContext, snapshot: Manifest, validate: Manifest) -> Manifest:
    """Profile the raw snapshot and render it with the validation findings."""
    from boucle.data import load_snapshot
    from boucle.data.profile import profile_table, render_profile

    config = ctx.config
    frame = load_snapshot(ctx.store, snapshot["snapshot_id"])
    table = profile_table(
        frame, target=config.data.target, task=config.task, seed=config.split.seed
    )
    validation: dict[str, Any] = json.loads(ctx.store.get_bytes(validate["report_digest"]))
    representation = {
        "columns": [
            {"column": r["column"], **r["details"]}
            for r in validation.get("results", [])
            if r["name"] == "representation" and r.get("column") and "groups" in r["details"]
        ]
    }
    html = render_profile(
        table,
        validation=validation,
        pii=validation.get("pii"),
        representation=representation,
        title=f"{config.project}: data profile",
    )
    data = html.encode("utf-8")
    digest = ctx.store.put_bytes(data)
    ctx.store.write_bytes_atomic(PROFILE_REPORT, data)
    return {
        "report_digest": digest,
        "report_path": PROFILE_REPORT,
        "rows": len(frame),
        "overview": table.to_dict().get("overview", {}),
        "artifacts": [digest],
    }


PROFILE_STEP = Step(
    "profile",
    profile,
    config=lambda c: {"target": c.data.target, "task": c.task, "project": c.project},
    code=("data/profile", "reports", "runner/profile_step"),
)
