"""``data.checks`` of boucle.yaml: which data checks run, their thresholds and their severity.

Every field has a default, so an absent section means "all checks, sensible thresholds". Each
check has a ``severity``: ``error`` stops the run (:func:`raise_for_errors`), ``warn`` is
recorded in validation.json, ``off`` skips the check. PII columns get a *policy* per type
instead: ``error``, ``warn``, ``drop`` (remove the column) or ``hash`` (salted blake3, the salt
read from the environment variable named by ``salt_env``, never from the file).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "ChecksConfig",
    "ConstantCheckConfig",
    "CustomCheckConfig",
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

Severity = Literal["error", "warn", "off"]
PiiPolicy = Literal["error", "warn", "drop", "hash"]
TaskName = Literal["classification", "regression"]

# Identifiers that name a person or give access to money stop the run; contact details are
# removed; an IP address is kept as a hashed key. Types not listed follow ``default``.
_DEFAULT_PII_POLICIES: dict[str, PiiPolicy] = {
    "email": "drop",
    "iban": "error",
    "ip_address": "hash",
    "nir": "error",
    "payment_card": "error",
    "person_name": "drop",
    "phone_fr": "drop",
    "phone_intl": "drop",
    "postal_address": "drop",
}


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


class SchemaCheckConfig(_Section):
    """``schema:`` the pandera schema file the data must match (columns, dtypes, ranges)."""

    path: str | None = Field(
        default="schema.yaml", description="Schema YAML, relative to boucle.yaml; None: no check."
    )
    max_categories: int = Field(
        default=50, ge=0, description="Text columns with at most this many values get an isin."
    )
    severity: Severity = "error"


class MissingCheckConfig(_Section):
    """``missing:`` a column whose share of missing values exceeds ``max_share``."""

    max_share: float = Field(default=0.5, ge=0.0, le=1.0)
    severity: Severity = "warn"


class DuplicatesCheckConfig(_Section):
    """``duplicates:`` the share of rows that repeat an earlier row exceeds ``max_share``."""

    max_share: float = Field(default=0.05, ge=0.0, le=1.0)
    severity: Severity = "warn"


class ConstantCheckConfig(_Section):
    """``constant:`` a column holding a single value (or only nulls) tells the model nothing."""

    severity: Severity = "warn"


class HighCardinalityCheckConfig(_Section):
    """``high_cardinality:`` a text column where nearly every row differs (an id, free text)."""

    max_unique_share: float = Field(default=0.9, ge=0.0, le=1.0)
    min_rows: int = Field(default=100, ge=1, description="Smaller tables are not checked.")
    severity: Severity = "warn"


class LeakageCheckConfig(_Section):
    """``leakage:`` one feature alone predicts the target almost perfectly.

    Scored out of fold on a sample: ROC-AUC (classification) or R² (regression) of a shallow
    tree on a numeric feature, of the cross-fitted target encoding of a categorical one.
    """

    max_auc: float = Field(default=0.98, gt=0.5, le=1.0)
    max_r2: float = Field(default=0.98, gt=0.0, le=1.0)
    sample_rows: int = Field(default=20_000, ge=100)
    folds: int = Field(default=3, ge=2, le=10)
    seed: int = 0
    severity: Severity = "error"


class LabelBalanceCheckConfig(_Section):
    """``label_balance:`` classification only: every class holds at least ``min_share``."""

    min_share: float = Field(default=0.01, ge=0.0, le=0.5)
    severity: Severity = "warn"


class PiiCheckConfig(_Section):
    """``pii:`` what happens to a column found to hold personal data, per PII type."""

    enabled: bool = True
    default: PiiPolicy = "warn"
    policies: dict[str, PiiPolicy] = Field(default_factory=lambda: dict(_DEFAULT_PII_POLICIES))
    salt_env: str = Field(default="BOUCLE_PII_SALT", min_length=1)
    sample_rows: int = Field(default=10_000, ge=100)
    min_share: float = Field(default=0.5, gt=0.0, le=1.0)

    @field_validator("policies")
    @classmethod
    def _known_types(cls, policies: dict[str, PiiPolicy]) -> dict[str, PiiPolicy]:
        if set(policies) <= set(_DEFAULT_PII_POLICIES):  # known types: spare the numpy import
            return policies
        from boucle.data.pii import PII_TYPES

        unknown = sorted(set(policies) - set(PII_TYPES))
        if unknown:
            raise ValueError(
                f"unknown PII type(s) {', '.join(map(repr, unknown))}; "
                f"use one of: {', '.join(PII_TYPES)}"
            )
        return policies

    def policy_for(self, pii_type: str) -> PiiPolicy:
        """Return the policy that applies to ``pii_type`` (its own, else ``default``)."""
        return self.policies.get(pii_type, self.default)


class RepresentationCheckConfig(_Section):
    """``representation:`` each group of a sensitive column is present enough to learn from.

    A group fails under ``min_share`` of the rows or ``min_count`` rows; with a training split,
    also when its share in the training rows moves more than ``split_tolerance`` (absolute)
    from its share in the whole table, or when it is absent from the training rows.
    """

    min_share: float = Field(default=0.01, ge=0.0, le=1.0)
    min_count: int = Field(default=30, ge=0)
    split_tolerance: float = Field(default=0.05, ge=0.0, le=1.0)
    bins: int = Field(default=5, ge=2, description="Quantile bins for numeric columns.")
    max_levels: int = Field(
        default=20, ge=1, description="Numeric columns with more values than this are binned."
    )
    severity: Severity = "warn"


class SourcesConfig(_Section):
    """``sources:`` who owns the data, under which licence, how often it is refreshed.

    Recorded in validation.json; an ``external`` source without an owner or a licence warns.
    """

    owner: str | None = None
    licence: str | None = None
    refresh: str | None = Field(default=None, description="e.g. 'monthly', 'on demand'.")
    external: bool = False
    severity: Severity = "warn"


class CustomCheckConfig(_Section):
    """One plug-in data check of ``custom:``: which one, its severity, its options.

    ``name`` is the name of a ``boucle.checks`` entry point or a ``module:attr`` path; a
    plain string in the list is the same as ``{name: ...}``.
    """

    name: str = Field(description="Entry-point name of the plug-in, or its module:attr path.")
    severity: Severity = Field(
        default="error", description="error stops the run, warn records, off skips."
    )
    options: dict[str, Any] = Field(
        default_factory=dict, description="Passed to the check as context.options."
    )

    @field_validator("name")
    @classmethod
    def _known_plugin(cls, name: str) -> str:
        from boucle.plugins import BUILTIN_NAMES, check_config_name

        if name in BUILTIN_NAMES["data_check"]:
            raise ValueError(
                f"{name!r} is a built-in check: configure it under data.checks.{name}, "
                "not in data.checks.custom"
            )
        return check_config_name("data_check", name)


class ChecksConfig(_Section):
    """``data.checks:`` every data check, its thresholds and its severity."""

    model_config = ConfigDict(
        extra="forbid",
        validate_default=True,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
    )

    # ``schema`` would shadow BaseModel.schema(); the attribute is ``schema_``, the key ``schema``.
    schema_: SchemaCheckConfig = Field(default_factory=SchemaCheckConfig, alias="schema")
    missing: MissingCheckConfig = Field(default_factory=MissingCheckConfig)
    duplicates: DuplicatesCheckConfig = Field(default_factory=DuplicatesCheckConfig)
    constant: ConstantCheckConfig = Field(default_factory=ConstantCheckConfig)
    high_cardinality: HighCardinalityCheckConfig = Field(default_factory=HighCardinalityCheckConfig)
    leakage: LeakageCheckConfig = Field(default_factory=LeakageCheckConfig)
    label_balance: LabelBalanceCheckConfig = Field(default_factory=LabelBalanceCheckConfig)
    pii: PiiCheckConfig = Field(default_factory=PiiCheckConfig)
    representation: RepresentationCheckConfig = Field(default_factory=RepresentationCheckConfig)
    sources: SourcesConfig = Field(default_factory=SourcesConfig)
    custom: list[CustomCheckConfig] = Field(
        default_factory=list,
        description="Plug-in data checks (boucle.checks entry points or module:attr paths), "
        "run after the built-in ones: names, or {name, severity, options}.",
    )

    @field_validator("custom", mode="before")
    @classmethod
    def _names_as_entries(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"name": item} if isinstance(item, str) else item for item in value]
        return value
