"""The user's project: ``boucle init`` scaffolding, ``boucle doctor``, feature functions, quality.

Nothing heavy is imported here: each function imports what it needs when called.
"""

from __future__ import annotations

from boucle.project.errors import QualityError
from boucle.project.features import (
    FeatureRef,
    load_feature_function,
    parse_feature_spec,
    resolve_feature,
    resolve_features,
)

__all__ = [
    "FeatureRef",
    "QualityError",
    "load_feature_function",
    "parse_feature_spec",
    "resolve_feature",
    "resolve_features",
]
