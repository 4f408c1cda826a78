"""The built-in data checks behind the plug-in protocol: thin adapters, one per check.

Each adapter builds the check's own config from the context (``severity``, and
``options`` as the config's fields) and calls the built-in function, so the conformance
suite (:func:`boucle.testing.check_data_check`) runs on the built-ins exactly as on a
plug-in. The validate step itself calls the built-in functions directly.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from boucle.data.validate.report import CheckResult
from boucle.plugins.protocols import CheckContext

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["BuiltinDataCheck", "builtin_data_checks"]

Run = Callable[["pd.DataFrame", CheckContext], list[CheckResult]]


@dataclass(frozen=True)
class BuiltinDataCheck:
    """One built-in data check seen through the :class:`~boucle.plugins.protocols.DataCheck`
    protocol."""

    name: str
    run: Run = field(repr=False)

    def check(self, frame: pd.DataFrame, context: CheckContext) -> list[CheckResult]:
        """Run the built-in check on ``frame`` with the context's severity and options."""
        return self.run(frame, context)


def _schema(frame: pd.DataFrame, context: CheckContext) -> list[CheckResult]:
    from boucle.data.validate.schema import infer_schema, load_schema
    from boucle.data.validate.schema_check import check_schema

    path = context.options.get("path")
    schema = (
        load_schema(str(path))
        if path
        else infer_schema(
            frame,
            target=context.target,
            max_categories=int(context.options.get("max_categories", 50)),
        )
    )
    return check_schema(frame, schema, severity=context.severity)


def _missing(frame: pd.DataFrame, context: CheckContext) -> list[CheckResult]:
    from boucle.config.checks import MissingCheckConfig
    from boucle.data.validate.quality import check_missing, profile_table

    config = MissingCheckConfig(**{**context.options, "severity": context.severity})
    return check_missing(profile_table(frame), config)


def _duplicates(frame: pd.DataFrame, context: CheckContext) -> list[CheckResult]:
    from boucle.config.checks import DuplicatesCheckConfig
    from boucle.data.validate.quality import check_duplicates

    config = DuplicatesCheckConfig(**{**context.options, "severity": context.severity})
    return check_duplicates(frame, config)


def _constant(frame: pd.DataFrame, context: CheckContext) -> list[CheckResult]:
    from boucle.config.checks import ConstantCheckConfig
    from boucle.data.validate.quality import check_constant, profile_table

    config = ConstantCheckConfig(**{**context.options, "severity": context.severity})
    return check_constant(profile_table(frame), config)


def _high_cardinality(frame: pd.DataFrame, context: CheckContext) -> list[CheckResult]:
    from boucle.config.checks import HighCardinalityCheckConfig
    from boucle.data.validate.quality import check_high_cardinality, profile_table

    config = HighCardinalityCheckConfig(**{**context.options, "severity": context.severity})
    return check_high_cardinality(frame, profile_table(frame), config, target=context.target)


def _label_balance(frame: pd.DataFrame, context: CheckContext) -> list[CheckResult]:
    from boucle.config.checks import LabelBalanceCheckConfig
    from boucle.data.validate.quality import check_label_balance

    if context.task != "classification":
        message = "regression: the target has no labels to balance"
        return [CheckResult("label_balance", None, context.severity, True, message)]
    config = LabelBalanceCheckConfig(**{**context.options, "severity": context.severity})
    return check_label_balance(frame, config, target=context.target)


def _leakage(frame: pd.DataFrame, context: CheckContext) -> list[CheckResult]:
    from boucle.config.checks import LeakageCheckConfig
    from boucle.data.validate.leakage import check_leakage

    config = LeakageCheckConfig(**{**context.options, "severity": context.severity})
    return check_leakage(frame, target=context.target, task=context.task, config=config)


def _representation(frame: pd.DataFrame, context: CheckContext) -> list[CheckResult]:
    from boucle.config.checks import RepresentationCheckConfig
    from boucle.data.validate.representation import check_representation

    if not context.sensitive:
        message = "no sensitive columns to check"
        return [CheckResult("representation", None, context.severity, True, message)]
    config = RepresentationCheckConfig(**{**context.options, "severity": context.severity})
    return check_representation(frame, sensitive=context.sensitive, config=config)


def _pii(frame: pd.DataFrame, context: CheckContext) -> list[CheckResult]:
    from boucle.config.checks import PiiCheckConfig
    from boucle.data.pii import PII_TYPES
    from boucle.data.validate.policies import check_pii

    # PII has a policy per type instead of a severity: the context's severity is every
    # type's policy, and every result carries it.
    policy = context.severity if context.severity != "off" else "warn"
    options = {"default": policy, "policies": dict.fromkeys(PII_TYPES, policy), **context.options}
    results, _ = check_pii(frame, PiiCheckConfig(**options), environ={})
    return [dataclasses.replace(result, severity=context.severity) for result in results]


def _sources(frame: pd.DataFrame, context: CheckContext) -> list[CheckResult]:
    from boucle.config.checks import SourcesConfig
    from boucle.data.validate.policies import check_sources

    return check_sources(SourcesConfig(**{**context.options, "severity": context.severity}))


_RUNS: dict[str, Run] = {
    "schema": _schema,
    "missing": _missing,
    "duplicates": _duplicates,
    "constant": _constant,
    "high_cardinality": _high_cardinality,
    "label_balance": _label_balance,
    "leakage": _leakage,
    "representation": _representation,
    "pii": _pii,
    "sources": _sources,
}


def builtin_data_checks() -> list[BuiltinDataCheck]:
    """Every built-in data check as a :class:`BuiltinDataCheck`, in the validate step's order."""
    return [BuiltinDataCheck(name, run) for name, run in _RUNS.items()]
