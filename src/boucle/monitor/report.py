"""Drift report: one row per feature, the dataset verdict, the multivariate check, run facts."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from boucle.monitor.multivariate import MultivariateDrift

__all__ = ["DriftReport", "FeatureDrift"]


def _json_number(value: Any) -> Any:
    """NaN and infinities become ``None``: the report must be strict JSON."""
    if (isinstance(value, float) and value != value) or value in (float("inf"), float("-inf")):
        return None
    if isinstance(value, dict):
        return {key: _json_number(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_number(item) for item in value]
    return value


@dataclass(frozen=True)
class FeatureDrift:
    """Drift of one feature between the reference profile and the current window.

    ``statistics`` holds every observed statistic (``None`` when it cannot be computed, e.g.
    a column that is all missing); ``p_values`` the calibrated p-value of each tested one.
    ``p_value`` is their Bonferroni minimum, ``q_value`` its false-discovery-rate adjustment
    across features, ``threshold`` the p-value cutoff the procedure applied, and
    ``effect_size`` a scale-free size of the change: the Wasserstein distance in reference
    standard deviations (a pure shift of 0.1 sigma reads 0.1) or the Jensen-Shannon distance.
    """

    feature: str
    kind: str
    statistics: dict[str, float | None]
    p_values: dict[str, float]
    effect_name: str
    effect_size: float | None
    p_value: float
    n_reference: int
    n_current: int
    details: dict[str, Any] = field(default_factory=dict)
    q_value: float = 1.0
    threshold: float = 0.0
    drifted: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict of this row."""
        return dict(_json_number(asdict(self)))


@dataclass(frozen=True)
class DriftReport:
    """Everything :func:`~boucle.monitor.compute_drift` found.

    ``dataset_drift`` is true when any feature drifted (after false-discovery-rate control)
    or the multivariate check fired; ``runtime`` says how long it took and over what.
    """

    features: tuple[FeatureDrift, ...]
    alpha: float
    fdr: str
    profile_id: str
    multivariate: MultivariateDrift | None
    runtime: dict[str, Any]

    @property
    def drifted_features(self) -> list[str]:
        """Names of the features that drifted, in profile order."""
        return [row.feature for row in self.features if row.drifted]

    @property
    def share_drifted(self) -> float:
        """Share of features that drifted."""
        return len(self.drifted_features) / len(self.features) if self.features else 0.0

    @property
    def dataset_drift(self) -> bool:
        """Whether the window as a whole drifted."""
        multivariate = self.multivariate is not None and self.multivariate.drifted
        return bool(self.drifted_features) or multivariate

    def feature(self, name: str) -> FeatureDrift:
        """The row of feature ``name``."""
        for row in self.features:
            if row.feature == name:
                return row
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (strict JSON: no NaN)."""
        return {
            "profile_id": self.profile_id,
            "alpha": self.alpha,
            "fdr": self.fdr,
            "dataset_drift": self.dataset_drift,
            "share_drifted": self.share_drifted,
            "drifted_features": self.drifted_features,
            "features": [row.to_dict() for row in self.features],
            "multivariate": None if self.multivariate is None else self.multivariate.to_dict(),
            "runtime": _json_number(self.runtime),
        }

    def format_table(self) -> str:
        """A plain-text table of the per-feature rows, for logs and terminals."""
        lines = [f"{'feature':<24} {'kind':<11} {'effect':>18} {'p':>10} {'q':>10}  drifted"]
        for row in self.features:
            size = "n/a" if row.effect_size is None else f"{row.effect_size:.4f}"
            effect = f"{row.effect_name.split('_')[0]}={size}"
            lines.append(
                f"{row.feature[:24]:<24} {row.kind:<11} {effect:>18} {row.p_value:>10.2e} "
                f"{row.q_value:>10.2e}  {'YES' if row.drifted else 'no'}"
            )
        verdict = "drift" if self.dataset_drift else "no drift"
        lines.append(f"{verdict}: {len(self.drifted_features)}/{len(self.features)} features")
        if self.multivariate is not None:
            m = self.multivariate
            lines.append(f"domain classifier AUC {m.auc:.4f} (threshold {m.threshold:.4f})")
        return "\n".join(lines)
