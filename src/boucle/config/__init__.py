"""boucle.yaml: models, loading, environment overrides and path resolution."""

from boucle.config.loader import ENV_PREFIX, apply_env_overrides, load_config, parse_config
from boucle.config.models import (
    BoucleConfig,
    DataConfig,
    SearchConfig,
    SplitConfig,
    StoresConfig,
    TrainConfig,
)
from boucle.config.paths import is_url, resolve_paths, sqlite_path

__all__ = [
    "ENV_PREFIX",
    "BoucleConfig",
    "DataConfig",
    "SearchConfig",
    "SplitConfig",
    "StoresConfig",
    "TrainConfig",
    "apply_env_overrides",
    "is_url",
    "load_config",
    "parse_config",
    "resolve_paths",
    "sqlite_path",
]
