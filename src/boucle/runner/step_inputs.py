"""Rebuild a step's inputs from the artifact store: the snapshot, the split frames, the model.

Every step after ``split`` reads its rows through :func:`load_split_frames`, so training,
evaluation and the evidence steps see exactly the rows the split step stored. numpy, pandas
and joblib are imported inside the functions so that a fully cached run never loads them.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import pandas as pd

    from boucle.runner.context import RunContext
    from boucle.runner.graph import Manifest
    from boucle.train.targets import TargetEncoding

__all__ = ["encode_target_column", "load_model", "load_snapshot_frame", "load_split_frames"]


def encode_target_column(frame: pd.DataFrame, ctx: RunContext) -> TargetEncoding:
    """Encode ``data.target`` of ``frame`` for the configured task and positive class."""
    from boucle.train.targets import encode_target

    data = ctx.config.data
    return encode_target(frame[data.target], ctx.config.task, data.positive_class)


def load_snapshot_frame(ctx: RunContext, snapshot: Manifest) -> pd.DataFrame:
    """Load the stored snapshot that a ``snapshot`` or ``validate`` manifest names."""
    from boucle.data import load_snapshot

    return load_snapshot(ctx.store, snapshot["snapshot_id"])


def load_split_frames(
    ctx: RunContext, data: Manifest, split: Manifest
) -> tuple[pd.DataFrame, npt.NDArray[Any], pd.DataFrame, npt.NDArray[Any], TargetEncoding]:
    """Rebuild (X_train, y_train, X_test, y_test, encoding) from the stored data and split.

    ``data`` is the manifest of the snapshot to train from (the validate step's output).
    """
    import numpy as np

    frame = load_snapshot_frame(ctx, data)
    encoding = encode_target_column(frame, ctx)
    features = frame.drop(columns=[ctx.config.data.target])[encoding.keep].reset_index(drop=True)
    positions: dict[str, np.ndarray[Any, Any]]
    with np.load(io.BytesIO(ctx.store.get_bytes(split["split_id"])), allow_pickle=False) as npz:
        positions = {name: npz[name] for name in ("train", "test")}
    return (
        features.iloc[positions["train"]].reset_index(drop=True),
        encoding.y[positions["train"]],
        features.iloc[positions["test"]].reset_index(drop=True),
        encoding.y[positions["test"]],
        encoding,
    )


def load_model(ctx: RunContext, train: Manifest) -> Any:
    """Load the fitted pipeline from the hash-verified store (never from anywhere else)."""
    import joblib

    # Safe to unpickle: get_bytes verifies the blake3 digest recorded by our own train step.
    return joblib.load(io.BytesIO(ctx.store.get_bytes(train["model_digest"])))
