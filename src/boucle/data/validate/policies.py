"""PII policies (what happens to a column of personal data) and the data-source metadata check.

:func:`check_pii` runs the detector of :mod:`boucle.data.pii` on a sample and records, per
flagged column, the policy of its type: ``error`` fails the gate, ``warn`` records it, ``drop``
and ``hash`` are actions that :func:`apply_pii_policies` then carries out on the table. Hashing
is salted (blake3); the salt comes from the environment variable named by ``salt_env``, never
from boucle.yaml, and a hash policy without it is a :class:`ConfigError` before any work.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from boucle.config.checks import ChecksConfig, PiiCheckConfig, PiiPolicy
from boucle.data.validate.report import CheckResult
from boucle.errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd

    from boucle.config.checks import Severity, SourcesConfig
    from boucle.data.pii import PiiReport

__all__ = ["PiiAction", "apply_pii_policies", "check_pii", "check_sources", "pii_salt"]

_MIN_SALT_BYTES = 16


@dataclass(frozen=True)
class PiiAction:
    """What the policy did to one column: ``dropped``, ``hashed`` or ``kept`` (error/warn)."""

    column: str
    pii_type: str
    policy: PiiPolicy
    outcome: str

    def to_dict(self) -> dict[str, Any]:
        """Return the action as plain JSON-ready values."""
        return {
            "column": self.column,
            "pii_type": self.pii_type,
            "policy": self.policy,
            "outcome": self.outcome,
        }


def pii_salt(
    config: PiiCheckConfig, columns: Mapping[str, str], environ: Mapping[str, str]
) -> bytes:
    """Return the hashing salt from ``environ[config.salt_env]``, or explain how to set it.

    ``columns`` (column -> PII type) are the columns to hash, named in the error.
    """
    listed = ", ".join(f"'{c}' ({t})" for c, t in columns.items())
    how = (
        f"Set it to a secret of at least {_MIN_SALT_BYTES} random bytes and keep it out of "
        f"boucle.yaml, e.g. export {config.salt_env}=$(python -c 'import secrets; "
        "print(secrets.token_hex(32))'); keep the same value across runs so hashed keys "
        "still join, or choose policy 'drop'."
    )
    value = environ.get(config.salt_env, "")
    if not value:
        raise ConfigError(
            f"PII policy 'hash' applies to {listed}, but the environment variable "
            f"{config.salt_env!r} that holds the salt is not set.",
            hint=how,
        )
    salt = value.encode("utf-8")
    if len(salt) < _MIN_SALT_BYTES:
        raise ConfigError(
            f"the salt in {config.salt_env!r} is {len(salt)} bytes, too short to hash personal "
            f"data (at least {_MIN_SALT_BYTES}).",
            hint=how,
        )
    return salt


def check_pii(
    frame: pd.DataFrame, config: PiiCheckConfig, *, environ: Mapping[str, str] | None = None
) -> tuple[list[CheckResult], PiiReport]:
    """Detect personal data in ``frame`` and record the policy that applies to each column.

    Raises :class:`~boucle.errors.ConfigError` when a ``hash`` policy applies and the salt
    variable is missing, so the run stops before any work rather than at the end.
    """
    from boucle.data.pii import detect_pii

    report = detect_pii(frame, sample_rows=config.sample_rows, min_share=config.min_share)
    flagged = report.pii_columns
    to_hash = {c: t for c, t in flagged.items() if config.policy_for(t) == "hash"}
    if to_hash:
        pii_salt(config, to_hash, os.environ if environ is None else environ)
    results = []
    for column, pii_type in flagged.items():
        finding, policy = report[column], config.policy_for(pii_type)
        found = (
            f"holds personal data: {pii_type} ({finding.share:.0%} of "
            f"{finding.checked} sampled values)"
        )
        if finding.examples_masked:
            found += f", e.g. {', '.join(finding.examples_masked)}"
        details = {**finding.to_dict(), "policy": policy}
        if policy in ("error", "warn"):
            advice = "drop the column, or set data.checks.pii.policies." + pii_type
            message = f"{found}; policy '{policy}': {advice} to drop or hash"
            severity: Severity = "error" if policy == "error" else "warn"
            results.append(CheckResult("pii", column, severity, False, message, details))
        else:
            done = "dropped" if policy == "drop" else "replaced by its salted hash"
            message = f"{found}; {done} before use (policy '{policy}')"
            results.append(CheckResult("pii", column, "warn", True, message, details))
    if not flagged:
        message = f"no column holds personal data ({len(report.columns)} columns, "
        message += f"{report.sampled_rows} sampled rows)"
        results.append(CheckResult("pii", None, "warn", True, message, {}))
    return results, report


def apply_pii_policies(
    frame: pd.DataFrame,
    report: PiiReport,
    config: ChecksConfig | PiiCheckConfig,
    *,
    environ: Mapping[str, str] | None = None,
) -> tuple[pd.DataFrame, list[PiiAction]]:
    """Drop or hash the PII columns of ``frame`` as their policies say; return a new frame.

    ``report`` comes from :func:`check_pii` (or ``ValidationReport.pii``). Columns under an
    ``error`` or ``warn`` policy are kept as they are (the gate decides) and listed as ``kept``.
    The salt for ``hash`` is read from ``environ`` (default ``os.environ``).
    """
    from boucle.data.pii import hash_column

    pii = config.pii if isinstance(config, ChecksConfig) else config
    flagged = {c: t for c, t in report.pii_columns.items() if c in frame.columns}
    policies = {column: pii.policy_for(pii_type) for column, pii_type in flagged.items()}
    to_hash = {c: flagged[c] for c, p in policies.items() if p == "hash"}
    salt = pii_salt(pii, to_hash, os.environ if environ is None else environ) if to_hash else b""
    result = frame.copy()
    actions: list[PiiAction] = []
    for column, policy in policies.items():
        if policy == "drop":
            result = result.drop(columns=[column])
            outcome = "dropped"
        elif policy == "hash":
            result[column] = hash_column(result[column], salt)
            outcome = "hashed"
        else:
            outcome = "kept"
        actions.append(PiiAction(column, flagged[column], policy, outcome))
    return result, actions


def check_sources(config: SourcesConfig) -> list[CheckResult]:
    """Warn when an external source has no owner or no licence: nobody to ask, no right to use."""
    details = {
        "owner": config.owner,
        "licence": config.licence,
        "refresh": config.refresh,
        "external": config.external,
    }
    missing = [name for name in ("owner", "licence") if not getattr(config, name)]
    if config.external and missing:
        message = (
            f"the external source has no {' and no '.join(missing)}; set "
            f"data.checks.sources.{missing[0]} (who answers for it, under which terms)"
        )
        return [CheckResult("sources", None, config.severity, False, message, details)]
    origin = "external" if config.external else "internal"
    message = (
        f"{origin} source, owner {config.owner or 'unset'}, licence {config.licence or 'unset'}"
    )
    return [CheckResult("sources", None, config.severity, True, message, details)]
