"""``boucle quickstart``: a ready project on the UCI Adult census data shipped with boucle."""

from __future__ import annotations

import gzip
import os
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from boucle.errors import ConfigError
from boucle.store._local import write_atomic

__all__ = ["QUICKSTART_CONFIG", "Quickstart", "create_quickstart"]

QUICKSTART_CONFIG = """\
# boucle.yaml: made by `boucle quickstart`. Every key is explained in the README.
project: adult-income
task: classification            # classification (binary or multiclass) | regression
data:
  source: data/adult.csv        # local path or fsspec URL; .csv, .parquet, .csv.gz
  target: income
  positive_class: ">50K"        # binary classification only
  sensitive: [sex, race]        # used for per-slice metrics (and later fairness)
  read: {}                      # options passed to the reader (sep, header, names, na_values...)
split: {test_size: 0.2, seed: 42, stratify: true}
train:
  model: lightgbm               # logistic_regression | random_forest | lightgbm | xgboost
  search: {trials: 20, timeout_s: 120, metric: roc_auc}   # Optuna; trials: 0 = defaults only
stores:
  root: .boucle
  ledger: sqlite:///.boucle/ledger.db        # or postgresql+psycopg://...
  tracking: sqlite:///.boucle/mlflow.db      # MLflow backend store URI
"""


@dataclass(frozen=True)
class Quickstart:
    """The quickstart project: its folder, config file, and what was created or kept."""

    directory: Path
    config_path: Path
    created: tuple[str, ...]
    kept: tuple[str, ...]


def create_quickstart(directory: str | os.PathLike[str] = "boucle-quickstart") -> Quickstart:
    """Create (or reuse) the quickstart folder: ``boucle.yaml`` and ``data/adult.csv``.

    Existing files are never overwritten, so running the quickstart twice re-uses the
    project (and its cache) instead of clobbering edits.
    """
    root = Path(directory).expanduser().resolve()
    if root.exists() and not root.is_dir():
        raise ConfigError(
            f"quickstart folder '{root}' exists and is not a folder.",
            hint="Pass another path with --dir.",
        )
    created: list[str] = []
    kept: list[str] = []
    config_path = root / "boucle.yaml"
    data_path = root / "data" / "adult.csv"
    try:
        if config_path.exists():
            kept.append("boucle.yaml")
        else:
            write_atomic(str(config_path), [QUICKSTART_CONFIG.encode()])
            created.append("boucle.yaml")
        if data_path.exists():
            kept.append("data/adult.csv")
        else:
            packed = files("boucle.datasets").joinpath("adult.csv.gz").read_bytes()
            write_atomic(str(data_path), [gzip.decompress(packed)])
            created.append("data/adult.csv")
    except OSError as exc:
        raise ConfigError(
            f"cannot create the quickstart project in '{root}': {exc.strerror or exc}.",
            hint="Pick a writable folder with --dir.",
        ) from exc
    return Quickstart(root, config_path, tuple(created), tuple(kept))
