"""Model registry: versions and the champion / challenger aliases (MLflow behind)."""

from boucle.registry.mlflow_bridge import (
    CHALLENGER,
    CHAMPION,
    Registration,
    get_aliases,
    log_and_register,
    probe_tracking,
    set_alias,
)
from boucle.registry.versions import ModelVersionInfo, attach_files, resolve_version, tag_version

__all__ = [
    "CHALLENGER",
    "CHAMPION",
    "ModelVersionInfo",
    "Registration",
    "attach_files",
    "get_aliases",
    "log_and_register",
    "probe_tracking",
    "resolve_version",
    "set_alias",
    "tag_version",
]
