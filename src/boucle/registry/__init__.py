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

__all__ = [
    "CHALLENGER",
    "CHAMPION",
    "Registration",
    "get_aliases",
    "log_and_register",
    "probe_tracking",
    "set_alias",
]
