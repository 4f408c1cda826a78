"""Multivariate drift: can a classifier tell reference rows from current rows?

Univariate tests miss changes in the joint distribution (a correlation that flips while
every marginal stays put). A small LightGBM domain classifier on a row sample of each side,
scored by out-of-fold AUC, catches them. The AUC's null is calibrated by permuting the
side labels and re-running the same cross-validation (the exact null for this AUC, including
cross-validation's small downward bias), with the Mann-Whitney standard deviation as a floor.

Rows are sampled by a bottom-k hash of their position in the stream, so the sample has a
fixed size, costs O(k) memory, and does not depend on how the rows were chunked.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from boucle.errors import TrainingError
from boucle.monitor.accumulate import (
    category_values,
    numeric_values,
    row_count,
    take_rows,
)

if TYPE_CHECKING:
    from boucle.monitor.profile import FeatureProfile

__all__ = ["MultivariateDrift", "RowSampler", "domain_classifier_drift"]


def _row_keys(start: int, count: int, seed: int) -> NDArray[np.uint64]:
    """splitmix64 of each global row index: a fixed pseudo-random key per row."""
    with np.errstate(over="ignore"):
        keys = np.arange(start, start + count, dtype=np.uint64)
        keys += np.uint64((seed * 0x9E3779B97F4A7C15 + 1) % 2**64)
        keys = (keys ^ (keys >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        keys = (keys ^ (keys >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return np.asarray(keys ^ (keys >> np.uint64(31)), dtype=np.uint64)


class RowSampler:
    """Uniform sample of at most ``capacity`` rows of a stream of chunks (bottom-k keys)."""

    def __init__(self, features: dict[str, FeatureProfile], capacity: int, *, seed: int) -> None:
        self.kinds = {name: feature.kind for name, feature in features.items()}
        self.capacity, self.seed, self.seen = capacity, seed, 0
        self.keys = np.zeros(0, dtype=np.uint64)
        self.values: dict[str, NDArray[Any]] = {
            name: np.zeros(0, dtype=np.float64 if kind == "numeric" else object)
            for name, kind in self.kinds.items()
        }

    def update(self, chunk: Any) -> None:
        """Offer every row of a chunk to the sample."""
        count = row_count(chunk)
        keys = _row_keys(self.seen, count, self.seed)
        self.seen += count
        if self.keys.size >= self.capacity:
            keys_bound = self.keys.max()
            positions = np.nonzero(keys < keys_bound)[0]
        else:
            positions = np.arange(count)
        if positions.size > self.capacity:
            positions = positions[np.argpartition(keys[positions], self.capacity - 1)]
            positions = np.sort(positions[: self.capacity])
        if positions.size == 0:
            return
        rows = take_rows(chunk, positions)
        merged = np.concatenate([self.keys, keys[positions]])
        keep = np.argsort(merged, kind="stable")[: self.capacity]
        self.keys = merged[keep]
        for name, kind in self.kinds.items():
            fresh: NDArray[Any] = (
                numeric_values(rows, name)
                if kind == "numeric"
                else np.array(category_values(rows, name), dtype=object)
            )
            self.values[name] = np.concatenate([self.values[name], fresh])[keep]

    def rows(self) -> dict[str, list[Any]]:
        """The sample as JSON-ready columns (``None`` where missing), in key order."""
        return {
            name: [None if v != v else float(v) for v in column.tolist()]
            if self.kinds[name] == "numeric"
            else column.tolist()
            for name, column in self.values.items()
        }


@dataclass(frozen=True)
class MultivariateDrift:
    """Result of the domain-classifier check."""

    auc: float
    p_value: float
    threshold: float
    drifted: bool
    null_mean: float
    null_std: float
    permutations: int
    n_reference: int
    n_current: int
    top_features: list[str]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)


def _design(features: dict[str, FeatureProfile], rows: dict[str, list[Any]]) -> Any:
    """Numeric columns as floats; categories as codes of the reference's top-K (+other, new)."""
    columns = []
    for name, feature in features.items():
        values = rows[name]
        if feature.kind == "numeric":
            columns.append(np.array([np.nan if v is None else v for v in values], dtype=float))
            continue
        top = {category: i for i, category in enumerate(getattr(feature, "top", []))}
        seen = getattr(feature, "seen", None)
        other, new = len(top), len(top) + 1
        codes = [
            np.nan if v is None else top.get(v, other if seen is None or v in seen else new)
            for v in values
        ]
        columns.append(np.array(codes, dtype=float))
    return np.column_stack(columns)


def _out_of_fold_auc(x: Any, y: NDArray[np.int64], categorical: list[int], seed: int) -> float:
    import lightgbm
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    scores = np.zeros(y.size)
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=seed)
    for train, test in folds.split(x, y):
        model = lightgbm.LGBMClassifier(
            n_estimators=60, num_leaves=15, learning_rate=0.1, min_child_samples=20,
            subsample=0.8, subsample_freq=1, colsample_bytree=0.8, random_state=seed,
            deterministic=True, n_jobs=1, verbose=-1,
        )  # fmt: skip
        model.fit(x[train], y[train], categorical_feature=categorical or "auto")
        scores[test] = np.asarray(model.predict_proba(x[test]))[:, 1]
    return float(roc_auc_score(y, scores))


def domain_classifier_drift(
    features: dict[str, FeatureProfile],
    reference_rows: dict[str, list[Any]],
    current_rows: dict[str, list[Any]],
    *,
    alpha: float,
    permutations: int = 10,
    seed: int = 0,
) -> MultivariateDrift:
    """Out-of-fold AUC of a classifier separating reference from current rows, calibrated.

    ``drifted`` when the AUC's permutation p-value is below ``alpha``.
    """
    x = np.vstack([_design(features, reference_rows), _design(features, current_rows)])
    n_ref, n_cur = len(next(iter(reference_rows.values()))), len(next(iter(current_rows.values())))
    y = np.r_[np.zeros(n_ref, dtype=np.int64), np.ones(n_cur, dtype=np.int64)]
    categorical = [i for i, f in enumerate(features.values()) if f.kind == "categorical"]
    import lightgbm

    try:
        auc = _out_of_fold_auc(x, y, categorical, seed)
        rng = np.random.default_rng(seed)
        null = [
            _out_of_fold_auc(x, rng.permutation(y), categorical, seed) for _ in range(permutations)
        ]
        model = lightgbm.LGBMClassifier(n_estimators=60, num_leaves=15, verbose=-1, n_jobs=1)
        model.fit(x, y, categorical_feature=categorical or "auto")
    except (ValueError, lightgbm.basic.LightGBMError) as exc:
        raise TrainingError(
            f"domain classifier failed on {n_ref} reference and {n_cur} current rows: {exc}",
            hint="Give the check more rows (sample_rows) or pass multivariate=False.",
        ) from exc
    analytic = float(np.sqrt((n_ref + n_cur + 1) / (12.0 * n_ref * n_cur)))
    mean = float(np.mean(null)) if permutations else 0.5
    std = max(float(np.std(null, ddof=1)) if permutations > 1 else 0.0, analytic)
    gains = model.booster_.feature_importance(importance_type="gain")
    names = list(features)
    return MultivariateDrift(
        auc=auc,
        p_value=1.0 - NormalDist(mean, std).cdf(auc),
        threshold=NormalDist(mean, std).inv_cdf(1.0 - alpha),
        drifted=1.0 - NormalDist(mean, std).cdf(auc) < alpha,
        null_mean=mean,
        null_std=std,
        permutations=permutations,
        n_reference=n_ref,
        n_current=n_cur,
        top_features=[names[i] for i in np.argsort(-gains)[:3] if gains[i] > 0],
    )
