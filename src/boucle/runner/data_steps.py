"""The data steps of the foundation: ``snapshot`` (read and store the source) and ``split``.

``snapshot`` checks that the target and sensitive columns exist and that the target encodes
before anything is written; ``split`` draws the held-out test rows from the validated
snapshot and checks each sensitive group's share in the training rows. Heavy libraries are
imported inside the steps so that a fully cached run never loads them.
"""

from __future__ import annotations

import difflib
import io
from typing import TYPE_CHECKING, Any

from boucle.errors import DataError
from boucle.runner.step_inputs import encode_target_column, load_snapshot_frame

if TYPE_CHECKING:
    import pandas as pd

    from boucle.runner.context import RunContext
    from boucle.runner.graph import Manifest

__all__ = ["check_columns", "snapshot", "source_hash", "split"]


def snapshot(ctx: RunContext) -> Manifest:
    """Read the source, check the target and sensitive columns, store a Parquet snapshot."""
    from boucle.data import read_table, snapshot_table

    data = ctx.config.data
    options = ctx.config.stores.storage_options
    frame = read_table(data.source, data.read, storage_options=options)
    check_columns(frame, ctx)
    # Fails before anything is written when the target is unusable.
    encode_target_column(frame, ctx)
    snap = snapshot_table(frame, ctx.store, source=data.source)
    return {
        "snapshot_id": snap.id,
        "rows": snap.rows,
        "columns": snap.to_dict()["columns"],
        "source": data.source,
        "source_hash": source_hash(ctx),
        "artifacts": [snap.object_digest],
    }


def split(ctx: RunContext, validate: Manifest) -> Manifest:
    """Draw the held-out test set from the validated snapshot; store the row positions."""
    import numpy as np

    from boucle.train.split import split_table

    frame = load_snapshot_frame(ctx, validate)
    encoding = encode_target_column(frame, ctx)
    features = frame.drop(columns=[ctx.config.data.target])[encoding.keep]
    cfg = ctx.config.split
    parts = split_table(
        features,
        encoding.y,
        test_size=cfg.test_size,
        seed=cfg.seed,
        stratify=cfg.stratify and ctx.config.task == "classification",
        classes=encoding.classes,
    )
    balance = _split_representation(ctx, features, parts.train_positions)
    buffer = io.BytesIO()
    np.savez(buffer, train=parts.train_positions, test=parts.test_positions)
    digest = ctx.store.put_bytes(buffer.getvalue())
    return {
        "representation": balance,
        "split_id": digest,
        "train_rows": len(parts.train_positions),
        "test_rows": len(parts.test_positions),
        "stratified": parts.stratified,
        "dropped_missing_target": encoding.dropped_missing,
        "artifacts": [digest],
    }


def _split_representation(
    ctx: RunContext, features: pd.DataFrame, train_positions: Any
) -> list[dict[str, Any]]:
    """Compare each sensitive group's share in the training rows with the full data.

    The data gate's ``representation.split_tolerance`` applies; with severity ``error`` a
    group whose share moved more than the tolerance (or that vanished) stops the run.
    """
    from boucle.data.validate import raise_for_errors
    from boucle.data.validate.report import ValidationReport
    from boucle.data.validate.representation import check_representation

    config = ctx.config.data.checks.representation
    sensitive = [c for c in ctx.config.data.sensitive if c in features.columns]
    if config.severity == "off" or not sensitive:
        return []
    frame = features.reset_index(drop=True)
    results = [
        r
        for r in check_representation(
            frame, sensitive=sensitive, config=config, train_index=frame.index[train_positions]
        )
        if r.name == "representation_split"
    ]
    raise_for_errors(ValidationReport(results=tuple(results), rows=len(frame), columns=0))
    return [r.to_dict() for r in results]


def check_columns(frame: pd.DataFrame, ctx: RunContext) -> None:
    """Raise DataError when the target or a sensitive column is not in the table."""
    columns = [str(c) for c in frame.columns]
    data = ctx.config.data
    for key, name in [("data.target", data.target)] + [
        ("data.sensitive", s) for s in data.sensitive
    ]:
        if name not in columns:
            close = difflib.get_close_matches(name, columns, n=1, cutoff=0.5)
            shown = ", ".join(columns[:40]) + (", ..." if len(columns) > 40 else "")
            raise DataError(
                f"{key} '{name}' is not a column of {data.source}. Columns: {shown}.",
                hint=(f"Did you mean '{close[0]}'? " if close else "")
                + "Fix the name in boucle.yaml (or data.read.names if the file has no header).",
            )


def source_hash(ctx: RunContext) -> str:
    """blake3 of the raw source file, read once per run (the cache key and the step share it)."""
    if "source_hash" not in ctx.memo:
        from boucle.data import hash_source

        config = ctx.config
        ctx.memo["source_hash"] = hash_source(config.data.source, config.stores.storage_options)
    value: str = ctx.memo["source_hash"]
    return value
