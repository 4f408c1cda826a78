"""The data gate: schema, quality, leakage, representation and PII checks on one table.

``run_checks(frame, target=..., task=..., sensitive=[...], config=ChecksConfig(...))``
returns a :class:`ValidationReport` (``to_dict()`` is validation.json);
:func:`raise_for_errors` stops the run with every failed ``error`` check listed, and
:func:`apply_pii_policies` drops or hashes the personal-data columns. The schema is a pandera
``DataFrameSchema`` kept as YAML the user edits (:func:`infer_schema`, :func:`save_schema`,
:func:`load_schema`). pandera and scikit-learn are imported inside the functions that use them.
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
)
from boucle.data.validate.checks import run_checks
from boucle.data.validate.policies import PiiAction, apply_pii_policies
from boucle.data.validate.report import CheckResult, ValidationReport, raise_for_errors
from boucle.data.validate.schema import infer_schema, load_schema, save_schema
from boucle.data.validate.schema_check import check_schema

__all__ = [
    "CheckResult",
    "ChecksConfig",
    "ConstantCheckConfig",
    "DuplicatesCheckConfig",
    "HighCardinalityCheckConfig",
    "LabelBalanceCheckConfig",
    "LeakageCheckConfig",
    "MissingCheckConfig",
    "PiiAction",
    "PiiCheckConfig",
    "PiiPolicy",
    "RepresentationCheckConfig",
    "SchemaCheckConfig",
    "Severity",
    "SourcesConfig",
    "ValidationReport",
    "apply_pii_policies",
    "check_schema",
    "infer_schema",
    "load_schema",
    "raise_for_errors",
    "run_checks",
    "save_schema",
]
