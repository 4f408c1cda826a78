"""The ``validate`` step: the data gate between the snapshot and the split.

It runs every check of ``data.checks`` on the snapshot, writes ``validation.json`` to the
artifact store and a ``data_validated`` ledger event, and stops the run listing every failed
``error`` check. PII policies ``drop`` / ``hash`` yield a derived snapshot: that one, never
the raw snapshot, is what the split, training and evaluation read.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from boucle.hashing import canonical_json
from boucle.runner.graph import Manifest, Step

if TYPE_CHECKING:
    from boucle.runner.context import RunContext

__all__ = ["VALIDATE_STEP", "schema_path", "validate"]


def schema_path(ctx_config: Any) -> Path | None:
    """The schema file of ``data.checks.schema.path``, resolved against boucle.yaml's folder."""
    path = ctx_config.data.checks.schema_.path
    return None if path is None else (ctx_config.base_dir / path).resolve()


def validate(ctx: RunContext, snapshot: Manifest) -> Manifest:
    """Check the snapshot; apply PII policies; return the snapshot to train from."""
    from boucle.data import load_snapshot, snapshot_table
    from boucle.data.validate import (
        apply_pii_policies,
        load_schema,
        raise_for_errors,
        run_checks,
    )

    config = ctx.config
    frame = load_snapshot(ctx.store, snapshot["snapshot_id"])
    path = schema_path(config)
    schema = load_schema(path) if path is not None and path.is_file() else None
    report = run_checks(
        frame,
        target=config.data.target,
        task=config.task,
        sensitive=config.data.sensitive,
        config=config.data.checks,
        schema=schema,
    )
    document = report.to_dict()
    document["schema_file"] = None if schema is None else str(path)
    data = canonical_json(document)
    report_digest = ctx.store.put_bytes(data)
    ctx.store.write_bytes_atomic(f"validation/{ctx.run_id}.json", data)
    ctx.ledger_event(
        "data_validated",
        {
            "snapshot_id": snapshot["snapshot_id"],
            "passed": report.passed,
            "errors": len(report.failed_errors),
            "warnings": len(report.warnings),
            "report_digest": report_digest,
            "schema_file": document["schema_file"],
            "summary": report.summary(),
        },
    )
    raise_for_errors(report)
    cleaned, actions = (
        apply_pii_policies(frame, report.pii, config.data.checks)
        if report.pii is not None
        else (frame, [])
    )
    training = dict(snapshot)
    if any(action.outcome in ("dropped", "hashed") for action in actions):
        derived = snapshot_table(cleaned, ctx.store, source=f"{snapshot['source']} (PII policies)")
        training = {
            **snapshot,
            "snapshot_id": derived.id,
            "columns": derived.to_dict()["columns"],
            "artifacts": [derived.object_digest],
        }
        ctx.ledger_event(
            "pii_policies_applied",
            {
                "raw_snapshot_id": snapshot["snapshot_id"],
                "snapshot_id": derived.id,
                "actions": [_jsonable(a) for a in actions],
            },
        )
    return {
        **training,
        "raw_snapshot_id": snapshot["snapshot_id"],
        "report_digest": report_digest,
        "passed": report.passed,
        "warnings": len(report.warnings),
        "pii_actions": [_jsonable(a) for a in actions],
        "artifacts": [*training["artifacts"], report_digest],
    }


def _jsonable(action: Any) -> Any:
    to_dict = getattr(action, "to_dict", None)
    return to_dict() if callable(to_dict) else str(action)


def _schema_fingerprint(ctx: RunContext) -> dict[str, Any]:
    """The schema file's hash, and the code of the plug-in checks (``data.checks.custom``).

    Editing a custom check's module (or upgrading its distribution) re-runs validate.
    """
    from boucle.hashing import blake3_hex
    from boucle.plugins import plugin_fingerprint

    path = schema_path(ctx.config)
    exists = path is not None and path.is_file()
    found: dict[str, Any] = {"schema": blake3_hex(path.read_bytes()) if exists and path else None}
    custom = [check.name for check in ctx.config.data.checks.custom if check.severity != "off"]
    if custom:  # no key for projects without plug-in checks: their cache keys are unchanged
        found["custom_checks"] = [plugin_fingerprint("data_check", name) for name in custom]
    return found


VALIDATE_STEP = Step(
    "validate",
    validate,
    config=lambda c: {
        "task": c.task,
        "target": c.data.target,
        "sensitive": c.data.sensitive,
        "checks": c.data.checks.model_dump(mode="json"),
    },
    code=("data/validate", "data/pii", "config/checks", "runner/validate_step"),
    fingerprint=_schema_fingerprint,
)
