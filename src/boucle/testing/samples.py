"""Small, fixed sample data the conformance checks run plug-ins on (seeded: deterministic)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import numpy.typing as npt
    import pandas as pd

__all__ = ["SAMPLE_ROWS", "sample_features", "sample_table", "sample_target"]

SAMPLE_ROWS = 240
Task = Literal["binary", "multiclass", "regression"]


def sample_features(rows: int = SAMPLE_ROWS, seed: int = 0) -> pd.DataFrame:
    """Feature rows: two numbers, a count, a category with missing values, a sensitive group."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    colour = rng.choice(np.array(["red", "green", "blue"], dtype=object), size=rows)
    colour[rng.random(rows) < 0.05] = None
    return pd.DataFrame(
        {
            "x0": rng.normal(size=rows),
            "x1": rng.normal(2.0, 3.0, size=rows),
            "count": rng.poisson(3.0, size=rows).astype("int64"),
            "colour": colour,
            "group": rng.choice(np.array(["A", "B"], dtype=object), size=rows, p=[0.6, 0.4]),
        }
    )


def sample_target(features: pd.DataFrame, task: Task, seed: int = 1) -> npt.NDArray[Any]:
    """An encoded target that depends on the features: class codes or values."""
    import numpy as np

    rng = np.random.default_rng(seed)
    signal = features["x0"].to_numpy() + 0.3 * features["x1"].to_numpy() - 0.6
    signal = signal + 0.5 * (features["colour"] == "red").to_numpy()
    noisy = signal + rng.normal(0.0, 0.5, size=len(features))
    if task == "regression":
        return np.asarray(2.0 * noisy + 1.0, dtype=np.float64)
    if task == "binary":
        return np.asarray(noisy > np.median(noisy), dtype=np.int64)
    cuts = np.quantile(noisy, [1 / 3, 2 / 3])
    return np.asarray(np.searchsorted(cuts, noisy), dtype=np.int64)


def sample_table(task: Literal["classification", "regression"], seed: int = 0) -> pd.DataFrame:
    """A whole table, target column ``target`` included (labels ``no``/``yes`` or numbers)."""
    features = sample_features(seed=seed)
    kind: Task = "regression" if task == "regression" else "binary"
    target = sample_target(features, kind, seed=seed + 1)
    frame = features.copy()
    if task == "regression":
        frame["target"] = target
    else:
        frame["target"] = ["yes" if code else "no" for code in target]
    return frame
