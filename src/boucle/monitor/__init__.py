"""Monitoring: data and prediction drift against a reference profile built once.

::

    profile = ReferenceProfile.from_frame(training_snapshot)      # once, at training time
    blob = profile.to_bytes()                                      # JSON, stored with the model
    report = compute_drift(ReferenceProfile.from_bytes(blob), window)   # per window / chunks
    report.drifted_features, report.to_dict()
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from boucle._lazy import lazy_attributes

if TYPE_CHECKING:
    from boucle.monitor.drift import compute_drift
    from boucle.monitor.multivariate import MultivariateDrift
    from boucle.monitor.profile import CategoricalProfile, NumericProfile, ReferenceProfile
    from boucle.monitor.report import DriftReport, FeatureDrift

__all__ = [
    "CategoricalProfile",
    "DriftReport",
    "FeatureDrift",
    "MultivariateDrift",
    "NumericProfile",
    "ReferenceProfile",
    "compute_drift",
]

# Imported on first use: the package itself stays light (see boucle._lazy).
__getattr__ = lazy_attributes(
    __name__,
    {
        "CategoricalProfile": "boucle.monitor.profile",
        "DriftReport": "boucle.monitor.report",
        "FeatureDrift": "boucle.monitor.report",
        "MultivariateDrift": "boucle.monitor.multivariate",
        "NumericProfile": "boucle.monitor.profile",
        "ReferenceProfile": "boucle.monitor.profile",
        "compute_drift": "boucle.monitor.drift",
    },
)
