"""The data gate's configuration (``data.checks``), defined in :mod:`boucle.config.checks`.

They belong to the config layer so that loading boucle.yaml never imports pandas or pandera.
"""

from __future__ import annotations

from boucle.config.checks import (
    ChecksConfig,
    ConstantCheckConfig,
    DuplicatesCheckConfig,
    HighCardinalityCheckConfig,
    LabelBalanceCheckConfig,
    LeakageCheckConfig,
    MissingCheckConfig,
    PiiCheckConfig,
    PiiPolicy,
    RepresentationCheckConfig,
    SchemaCheckConfig,
    Severity,
    SourcesConfig,
    TaskName,
)

__all__ = [
    "ChecksConfig",
    "ConstantCheckConfig",
    "DuplicatesCheckConfig",
    "HighCardinalityCheckConfig",
    "LabelBalanceCheckConfig",
    "LeakageCheckConfig",
    "MissingCheckConfig",
    "PiiCheckConfig",
    "PiiPolicy",
    "RepresentationCheckConfig",
    "SchemaCheckConfig",
    "Severity",
    "SourcesConfig",
    "TaskName",
]
