"""Pydantic models of boucle.yaml: one class per section, unknown keys forbidden."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    PrivateAttr,
    field_validator,
    model_validator,
)

from boucle.config.alerts import AlertsConfig
from boucle.config.base import Section
from boucle.config.checks import ChecksConfig
from boucle.config.evidence import ExplainConfig, FairnessConfig, RobustnessConfig
from boucle.config.gates import GatesConfig
from boucle.config.governance import GovernanceConfig, UseCaseConfig
from boucle.config.loop import RetrainConfig
from boucle.config.monitoring import MonitorConfig
from boucle.config.package import PackageConfig
from boucle.config.project import QualityConfig
from boucle.plugins import check_model_name

__all__ = [
    "BoucleConfig",
    "DataConfig",
    "ExportConfig",
    "ModelName",
    "QuantizeConfig",
    "SearchConfig",
    "SplitConfig",
    "StoresConfig",
    "TaskName",
    "TrainConfig",
]

TaskName = Literal["classification", "regression"]
#: A built-in model, a ``boucle.models`` plug-in name or a ``module:Class`` path.
ModelName = Annotated[str, AfterValidator(check_model_name)]

CLASSIFICATION_METRICS = ("roc_auc", "pr_auc", "f1", "accuracy", "log_loss")
REGRESSION_METRICS = ("rmse", "mae", "r2")


_Section = Section


class DataConfig(_Section):
    """``data:`` where the table comes from and which column is the target."""

    source: str = Field(description="Local path or fsspec URL; .csv, .csv.gz, .parquet.")
    target: str = Field(description="Name of the column to predict.")
    positive_class: str | None = Field(
        default=None, description="Binary classification only: the label counted as positive."
    )
    sensitive: list[str] = Field(
        default_factory=list, description="Columns used for slices and fairness checks."
    )
    read: dict[str, Any] = Field(
        default_factory=dict,
        description="Options passed to the reader (sep, header, names, na_values, ...).",
    )
    checks: ChecksConfig = Field(
        default_factory=ChecksConfig, description="The data gate run by the validate step."
    )


class SplitConfig(_Section):
    """``split:`` how the held-out test set is drawn."""

    test_size: float = Field(default=0.2, gt=0.0, lt=1.0)
    seed: int = 42
    stratify: bool = True


class SearchConfig(_Section):
    """``train.search:`` the Optuna hyper-parameter search."""

    trials: int = Field(default=20, ge=0, description="0 = default parameters only.")
    timeout_s: float | None = Field(default=300.0, gt=0.0)
    metric: str | None = Field(
        default=None, description="roc_auc (classification) or rmse (regression) when unset."
    )


class TrainConfig(_Section):
    """``train:`` the estimator and its search."""

    model: ModelName = "lightgbm"
    search: SearchConfig = Field(default_factory=SearchConfig)
    params: dict[str, Any] = Field(
        default_factory=dict, description="Fixed estimator parameters, applied over the search."
    )
    threads: int = Field(
        default=1,
        ge=1,
        le=256,
        description="Threads per model fit. Part of the cache key: gradient boosting results "
        "depend on it. 1 is the fastest on small tables and on a busy machine.",
    )


class QuantizeConfig(_Section):
    """``export.quantize:`` optional int8 quantization of the ONNX model."""

    mode: Literal["off", "dynamic", "static"] = "off"
    max_drop: float = Field(
        default=0.005, ge=0.0, description="Largest metric drop accepted for the int8 model."
    )

    @field_validator("mode", mode="before")
    @classmethod
    def _unquoted_off(cls, value: object) -> object:
        # YAML 1.1 reads an unquoted `off` as false: `mode: off` must still mean "off".
        return "off" if value is False else value


class ExportConfig(_Section):
    """``export:`` ONNX conversion with its parity check (runs after ``register``)."""

    enabled: bool = True
    tolerance: float | None = Field(
        default=None, gt=0.0, description="Max |native - ONNX| probability; per-family default."
    )
    quantize: QuantizeConfig = Field(default_factory=QuantizeConfig)


class StoresConfig(_Section):
    """``stores:`` where artifacts, the audit ledger and MLflow tracking live."""

    root: str = ".boucle"
    ledger: str | None = Field(default=None, description="SQLAlchemy URL; default SQLite in root.")
    tracking: str | None = Field(
        default=None, description="MLflow backend store URI; default SQLite in root."
    )
    storage_options: dict[str, Any] = Field(
        default_factory=dict, description="fsspec options for a remote root (e.g. S3 endpoint)."
    )


class BoucleConfig(_Section):
    """The whole boucle.yaml."""

    project: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    task: TaskName
    data: DataConfig
    split: SplitConfig = Field(default_factory=SplitConfig)
    train: TrainConfig = Field(default_factory=TrainConfig)
    export: ExportConfig = Field(default_factory=ExportConfig)
    serve: dict[str, Any] = Field(
        default_factory=dict,
        description="Serving: routes, shadow, sticky_key, limits (validated by boucle serve).",
    )
    stores: StoresConfig = Field(default_factory=StoresConfig)
    features: list[str] = Field(
        default_factory=list,
        description="The project's feature functions, as 'file.py:function' or 'module:function'.",
    )
    quality: QualityConfig = Field(default_factory=QualityConfig)
    explain: ExplainConfig = Field(default_factory=ExplainConfig)
    fairness: FairnessConfig = Field(default_factory=FairnessConfig)
    robustness: RobustnessConfig = Field(default_factory=RobustnessConfig)
    use_case: UseCaseConfig | None = Field(
        default=None, description="What the model is for: drives the EU AI Act risk class."
    )
    governance: GovernanceConfig = Field(default_factory=GovernanceConfig)
    gates: GatesConfig = Field(default_factory=GatesConfig)
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)
    monitor: MonitorConfig = Field(default_factory=MonitorConfig)
    package: PackageConfig = Field(default_factory=PackageConfig)
    retrain: RetrainConfig = Field(default_factory=RetrainConfig)

    _path: Path | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _check_task_options(self) -> BoucleConfig:
        metric = self.train.search.metric
        valid = CLASSIFICATION_METRICS if self.task == "classification" else REGRESSION_METRICS
        if metric is not None and metric not in valid:
            raise ValueError(
                f"train.search.metric '{metric}' is not a {self.task} metric; "
                f"use one of: {', '.join(valid)}"
            )
        if self.task == "regression" and self.data.positive_class is not None:
            raise ValueError(
                "data.positive_class is only for classification; remove it for task: regression"
            )
        return self

    @property
    def path(self) -> Path | None:
        """The file this configuration was loaded from, if any."""
        return self._path

    @property
    def base_dir(self) -> Path:
        """Folder that relative paths resolve against (the config file's folder)."""
        return self._path.parent if self._path is not None else Path.cwd()

    @property
    def metric(self) -> str:
        """The search metric, with the task's default filled in."""
        default = "roc_auc" if self.task == "classification" else "rmse"
        return self.train.search.metric or default

    def section(self, name: str) -> dict[str, Any]:
        """Return one section as plain JSON-able data (used for cache keys)."""
        value = getattr(self, name)
        if isinstance(value, BaseModel):
            return value.model_dump(mode="json")
        return {name: value}
