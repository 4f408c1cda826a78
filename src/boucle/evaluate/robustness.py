"""Robustness probes of a fitted pipeline: perturbations, and a membership-inference probe.

- **Noise**: Gaussian noise of ``scale`` robust standard deviations (interquartile range /
  1.349, the SD of a normal distribution) on every numeric feature; missing values stay
  missing. The share of held-out predictions that flip. A column whose interquartile range
  is 0 (``capital-gain``: mostly zeros) is not perturbed: noise would invent values the
  column never takes (a gain of 370 where every row holds 0 or thousands).
- **Category swap**: in each row one categorical (or boolean) column, picked at random, takes
  another value seen in training (drawn by training frequency); the share that flip. The
  same swap column by column shows which columns the predictions hang on.
- **Membership inference** (a leak indicator): the model's confidence in the true label on
  training rows versus held-out rows. A large gap, or a loss-threshold attack whose AUC is
  well above 0.5, means the model remembers its training rows (Yeom et al., 2018).

A prediction *flips* when its class changes, or for regression when it moves by more than
``regression_tolerance`` standard deviations of the predictions.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from boucle.evaluate.fairness_results import GateCheck

__all__ = [
    "NOISE_MULTIPLES",
    "RobustnessReport",
    "membership_probe",
    "noise_flip_rate",
    "robustness_report",
    "swap_flip_rate",
]

Kind = Literal["binary", "multiclass", "regression"]

#: Noise scales reported beside the gated one, as multiples of ``noise_scale``.
NOISE_MULTIPLES = (0.5, 1.0, 2.0, 5.0)


@dataclass(frozen=True)
class RobustnessReport:
    """What the robustness step measured; ``passed`` is the gate's verdict."""

    kind: str
    rows: int
    noise_scale: float
    noise_flip_rate: float | None
    noise_curve: list[dict[str, float]]
    swap_flip_rate: float | None
    swap_by_column: list[dict[str, Any]]
    membership: dict[str, Any]
    checks: list[GateCheck]
    notes: list[str] = field(default_factory=list)

    @property
    def failures(self) -> list[str]:
        """One sentence per failed check."""
        return [check.detail for check in self.checks if check.passed is False]

    @property
    def passed(self) -> bool:
        """True when no check failed."""
        return not self.failures

    def metrics(self) -> dict[str, Any]:
        """The headline numbers (the ledger event's metrics)."""
        return {
            "noise_scale": self.noise_scale,
            "noise_flip_rate": self.noise_flip_rate,
            "swap_flip_rate": self.swap_flip_rate,
            "membership_gap": self.membership.get("gap"),
            "membership_auc": self.membership.get("attack_auc"),
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready report."""
        data = asdict(self)
        data.update(passed=self.passed, failures=self.failures)
        return data


def robustness_report(
    pipeline: Any,
    x_train: pd.DataFrame,
    y_train: npt.ArrayLike,
    x_test: pd.DataFrame,
    y_test: npt.ArrayLike,
    *,
    kind: Kind,
    sample_rows: int = 1000,
    noise_scale: float = 0.1,
    max_noise_flip_rate: float | None = 0.05,
    max_swap_flip_rate: float | None = None,
    max_membership_gap: float | None = 0.1,
    max_membership_auc: float | None = None,
    regression_tolerance: float = 0.1,
    seed: int = 0,
) -> RobustnessReport:
    """Run every probe on samples of ``sample_rows`` held-out (and training) rows."""
    from boucle.train.pipeline import classify_columns

    rng = np.random.default_rng(seed)
    test_rows = _positions(len(x_test), sample_rows, rng)
    rows = x_test.iloc[test_rows].reset_index(drop=True)
    kinds = classify_columns(x_train)
    swappable = [*kinds.categorical, *kinds.boolean]
    scales = {c: _robust_std(x_train[c]) for c in kinds.numeric}
    sigma = {c: v for c, v in scales.items() if v > 0}
    flips: dict[str, Any] = {"kind": kind, "tolerance": regression_tolerance, "seed": seed}
    curve = [
        {
            "scale": noise_scale * multiple,
            "flip_rate": noise_flip_rate(pipeline, rows, sigma, noise_scale * multiple, **flips),
        }
        for multiple in (NOISE_MULTIPLES if sigma else ())
    ]
    noise = next((p["flip_rate"] for p in curve if p["scale"] == noise_scale), None)
    categories = {c: _categories(x_train[c]) for c in swappable}
    categories = {c: v for c, v in categories.items() if len(v[0]) >= 2}
    swap = swap_flip_rate(pipeline, rows, categories, **flips)
    by_column = [
        {
            "column": column,
            "flip_rate": swap_flip_rate(pipeline, rows, {column: values}, **flips),
            "categories": len(values[0]),
        }
        for column, values in categories.items()
    ]
    membership = membership_probe(
        pipeline, x_train, y_train, x_test, y_test, kind=kind, sample_rows=sample_rows, seed=seed
    )
    measured = (
        ("noise_flip_rate", "noise flip rate", noise, max_noise_flip_rate),
        ("swap_flip_rate", "category-swap flip rate", swap, max_swap_flip_rate),
        ("membership_gap", "membership confidence gap", membership["gap"], max_membership_gap),
        ("membership_auc", "membership attack AUC", membership["attack_auc"], max_membership_auc),
    )
    checks = [
        _check(name, label, value, threshold)
        for name, label, value, threshold in measured
        if threshold is not None
    ]
    notes = []
    if not sigma:
        notes.append("no numeric feature with spread: the noise probe did not run")
    if len(sigma) < len(scales):
        flat = ", ".join(c for c in scales if c not in sigma)
        notes.append(f"not perturbed by noise (interquartile range 0): {flat}")
    if not categories:
        notes.append("no categorical feature with two or more values: no category swap")
    return RobustnessReport(
        kind=kind,
        rows=len(rows),
        noise_scale=noise_scale,
        noise_flip_rate=noise,
        noise_curve=curve,
        swap_flip_rate=swap,
        swap_by_column=sorted(by_column, key=lambda r: -(r["flip_rate"] or 0.0)),
        membership=membership,
        checks=checks,
        notes=notes,
    )


def noise_flip_rate(
    pipeline: Any,
    rows: pd.DataFrame,
    sigma: dict[str, float],
    scale: float,
    *,
    kind: Kind,
    tolerance: float = 0.1,
    seed: int = 0,
) -> float:
    """Share of ``rows`` whose prediction flips under noise of ``scale`` x ``sigma[column]``."""
    rng = np.random.default_rng(seed)
    noisy = rows.copy()
    for column, deviation in sigma.items():
        values = rows[column].to_numpy(dtype=np.float64, na_value=np.nan)
        noisy[column] = values + rng.normal(0.0, scale * deviation, size=len(values))
    return _flip_rate(pipeline, rows, noisy, kind, tolerance)


def swap_flip_rate(
    pipeline: Any,
    rows: pd.DataFrame,
    categories: dict[str, tuple[list[Any], npt.NDArray[np.float64]]],
    *,
    kind: Kind,
    tolerance: float = 0.1,
    seed: int = 0,
) -> float | None:
    """Share of ``rows`` that flip when one column of ``categories`` per row is swapped.

    ``categories`` maps a column to its training values and their frequencies; the new value
    is drawn by frequency among the values other than the row's own. ``None`` when there is
    nothing to swap.
    """
    if not categories or rows.empty:
        return None
    rng = np.random.default_rng(seed)
    columns = list(categories)
    chosen = rng.integers(0, len(columns), size=len(rows))
    swapped = rows.copy()
    for index, column in enumerate(columns):
        positions = np.flatnonzero(chosen == index)
        if len(positions) == 0:
            continue
        values, weights = categories[column]
        current = rows[column].to_numpy(dtype=object)[positions]
        replacement = np.empty(len(positions), dtype=object)
        for value in pd.unique(current):
            mine = np.array([_same(v, value) for v in current])
            probability = np.array(
                [0.0 if _same(v, value) else w for v, w in zip(values, weights, strict=True)]
            )
            probability /= probability.sum()
            picks = rng.choice(len(values), size=int(mine.sum()), p=probability)
            replacement[mine] = [values[p] for p in picks]
        column_values = swapped[column].to_numpy(dtype=object, copy=True)
        column_values[positions] = replacement
        swapped[column] = pd.Series(column_values, dtype=rows[column].dtype)
    return _flip_rate(pipeline, rows, swapped, kind, tolerance)


def membership_probe(
    pipeline: Any,
    x_train: pd.DataFrame,
    y_train: npt.ArrayLike,
    x_test: pd.DataFrame,
    y_test: npt.ArrayLike,
    *,
    kind: Kind,
    sample_rows: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """Confidence in the true label on training versus held-out rows, and the attack's AUC.

    Classification confidence is the probability given to the true class; for regression it
    is minus the absolute error in standard deviations of the training target. The attack
    guesses "training row" when the confidence is high; its ROC-AUC is 0.5 without a leak.
    """
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(seed + 1)
    train = _positions(len(x_train), sample_rows, rng)
    test = _positions(len(x_test), sample_rows, rng)
    y_train_all, y_test_all = np.asarray(y_train), np.asarray(y_test)
    spread = _std(pd.Series(y_train_all)) if kind == "regression" else 1.0
    on_train = _confidence(pipeline, x_train.iloc[train], y_train_all[train], kind, spread)
    on_test = _confidence(pipeline, x_test.iloc[test], y_test_all[test], kind, spread)
    membership = np.r_[np.ones(len(on_train)), np.zeros(len(on_test))]
    auc = float(roc_auc_score(membership, np.r_[on_train, on_test]))
    return {
        "train_confidence": float(on_train.mean()),
        "test_confidence": float(on_test.mean()),
        "gap": float(on_train.mean() - on_test.mean()),
        "attack_auc": auc,
        "train_rows": len(train),
        "test_rows": len(test),
        "confidence": "probability of the true class"
        if kind != "regression"
        else "minus |error| in target SDs",
    }


def _positions(total: int, rows: int, rng: np.random.Generator) -> npt.NDArray[np.int64]:
    if total <= rows:
        return np.arange(total)
    return np.sort(rng.choice(total, size=rows, replace=False))


def _std(values: pd.Series) -> float:
    numbers = pd.to_numeric(values, errors="coerce").astype(np.float64)
    deviation = float(numbers.std(skipna=True))
    return deviation if math.isfinite(deviation) and deviation > 0 else 1.0


def _robust_std(values: pd.Series) -> float:
    numbers = pd.to_numeric(values, errors="coerce").astype(np.float64).dropna()
    if numbers.empty:
        return 0.0
    low, high = np.quantile(numbers.to_numpy(), [0.25, 0.75])
    spread = float(high - low) / 1.349
    return spread if math.isfinite(spread) else 0.0


def _categories(values: pd.Series) -> tuple[list[Any], npt.NDArray[np.float64]]:
    counts = values.dropna().value_counts()
    weights = counts.to_numpy(dtype=np.float64)
    total = float(weights.sum()) or 1.0
    return list(counts.index), np.asarray(weights / total, dtype=np.float64)


def _same(first: Any, second: Any) -> bool:
    if pd.isna(first) and pd.isna(second):
        return True
    return bool(first == second)


def _predict(pipeline: Any, rows: pd.DataFrame, kind: Kind) -> npt.NDArray[Any]:
    if kind == "regression":
        return np.asarray(pipeline.predict(rows), dtype=np.float64)
    codes: npt.NDArray[Any] = np.asarray(pipeline.predict_proba(rows)).argmax(axis=1)
    return codes


def _flip_rate(
    pipeline: Any, before: pd.DataFrame, after: pd.DataFrame, kind: Kind, tolerance: float
) -> float:
    original, changed = _predict(pipeline, before, kind), _predict(pipeline, after, kind)
    if kind == "regression":
        spread = float(np.std(original)) or 1.0
        return float(np.mean(np.abs(changed - original) > tolerance * spread))
    return float(np.mean(changed != original))


def _confidence(
    pipeline: Any, rows: pd.DataFrame, truth: npt.NDArray[Any], kind: Kind, spread: float
) -> npt.NDArray[np.float64]:
    if kind == "regression":
        error = np.abs(np.asarray(pipeline.predict(rows), dtype=np.float64) - truth)
        return np.asarray(-error / spread, dtype=np.float64)
    proba = np.asarray(pipeline.predict_proba(rows), dtype=np.float64)
    codes = np.asarray(truth, dtype=np.int64)
    inside = codes < proba.shape[1]
    result = np.zeros(len(codes), dtype=np.float64)
    result[inside] = proba[np.flatnonzero(inside), codes[inside]]
    return result


def _check(name: str, label: str, value: float | None, threshold: float) -> GateCheck:
    if value is None:
        return GateCheck(name, None, threshold, None, f"{label} not measured")
    passed = value <= threshold
    return GateCheck(
        name, value, threshold, passed, f"{label} {value:.3f} {'<=' if passed else '>'} {threshold}"
    )
