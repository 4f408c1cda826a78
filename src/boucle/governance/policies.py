"""What each risk class must show before a version becomes champion: shipped defaults + overrides.

A :class:`Policy` lists the mandatory evidence and configuration items (``require``), the roles
that must each approve (``approvals``, by distinct people), the minimum and default retention
of prediction logs and ledger, and whether a version replacing a champion must first beat it
in ``boucle gate``. The defaults below follow the AI Act obligations of each class; a
``policies.yaml`` next to boucle.yaml (or ``governance.policies``) replaces any field of any
class::

    high:
      require: [classified, data_gate, explanation, fairness_gate, robustness, champion_gate,
                human_oversight, monitoring_plan]
      approvals: [risk-officer, model-owner, compliance]
    minimal:
      retention_days: 30

:class:`MonitoringCoverage` and :func:`monitoring_coverage` (what the configured monitoring
watches, for the ``monitoring_plan`` item) live in :mod:`boucle.governance.monitoring_coverage`
and are re-exported here.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, get_args

from pydantic import Field, ValidationError, model_validator

from boucle.config.base import Section
from boucle.config.governance import RiskClass
from boucle.errors import ConfigError
from boucle.governance.monitoring_coverage import MonitoringCoverage, monitoring_coverage

if TYPE_CHECKING:
    from boucle.config import BoucleConfig

__all__ = [
    "DEFAULT_POLICIES",
    "ITEMS",
    "ItemName",
    "MonitoringCoverage",
    "PoliciesFile",
    "Policy",
    "PolicyOverride",
    "PolicySet",
    "effective_policy",
    "load_policies",
    "monitoring_coverage",
    "parse_policies",
    "retention_setting",
]

ItemName = Literal[
    "classified",
    "data_gate",
    "explanation",
    "fairness_gate",
    "robustness",
    "champion_gate",
    "onnx_parity",
    "serving_skew",
    "human_oversight",
    "transparency_notice",
    "monitoring_plan",
]
ITEMS: tuple[ItemName, ...] = get_args(ItemName)


class Policy(Section):
    """The mandatory items of one risk class."""

    require: list[ItemName] = Field(
        default_factory=list, description="Evidence and configuration items that must be present."
    )
    approvals: list[str] = Field(
        default_factory=list,
        description="Roles that must each approve the version's current evidence, by distinct "
        "people listed under governance.roles.",
    )
    min_retention_days: int = Field(
        default=0, ge=0, description="Smallest governance.retention_days accepted (0: no minimum)."
    )
    promotion_allowed: bool = Field(
        default=True, description="False: no version may ever be promoted (Art. 5 practices)."
    )
    retention_days: int = Field(
        default=183,
        ge=1,
        description="Days prediction logs are kept when boucle.yaml sets no "
        "governance.retention_days (`boucle gc` never goes below min_retention_days either).",
    )
    gate_against_champion: bool = Field(
        default=True,
        description="A version replacing an existing champion must pass `boucle gate` against "
        "that champion (item champion_gate, added automatically); false: only when `require` "
        "lists champion_gate.",
    )


class PolicyOverride(Section):
    """One class in policies.yaml: every field given replaces the shipped default."""

    require: list[ItemName] | None = Field(default=None, description="Replaces `require`.")
    approvals: list[str] | None = Field(default=None, description="Replaces `approvals`.")
    min_retention_days: int | None = Field(
        default=None, ge=0, description="Replaces `min_retention_days`."
    )
    promotion_allowed: bool | None = Field(
        default=None, description="Replaces `promotion_allowed`."
    )
    retention_days: int | None = Field(default=None, ge=1, description="Replaces `retention_days`.")
    gate_against_champion: bool | None = Field(
        default=None, description="Replaces `gate_against_champion`."
    )


class PoliciesFile(Section):
    """policies.yaml: an override per risk class (classes left out keep the defaults)."""

    prohibited: PolicyOverride | None = None
    high: PolicyOverride | None = None
    limited: PolicyOverride | None = None
    minimal: PolicyOverride | None = None

    @model_validator(mode="after")
    def _prohibited_stays_prohibited(self) -> PoliciesFile:
        if self.prohibited is not None and self.prohibited.promotion_allowed:
            raise ValueError(
                "prohibited.promotion_allowed cannot be true: an Art. 5 practice may not be "
                "placed on the market, put into service or used"
            )
        return self


DEFAULT_POLICIES: dict[RiskClass, Policy] = {
    "prohibited": Policy(promotion_allowed=False),
    "high": Policy(
        require=[
            "classified",
            "data_gate",
            "explanation",
            "fairness_gate",
            "robustness",
            "human_oversight",
            "monitoring_plan",
        ],
        approvals=["risk-officer", "model-owner"],
        min_retention_days=183,  # "at least six months": Art. 19(1) and 26(6)
        retention_days=183,
    ),
    # No retention duty outside high-risk: three months keep a quarter of drift and feedback.
    "limited": Policy(
        require=["classified", "data_gate", "transparency_notice"],
        approvals=["model-owner"],
        retention_days=90,
    ),
    "minimal": Policy(require=["classified", "data_gate"], retention_days=90),
}


@dataclass(frozen=True)
class PolicySet:
    """The policy of every risk class and where it came from."""

    policies: dict[RiskClass, Policy]
    source: str

    def for_class(self, risk_class: RiskClass) -> Policy:
        """The policy of one risk class."""
        return self.policies[risk_class]


def parse_policies(text: str, *, source: Path) -> PolicySet:
    """Validate policies.yaml text over the defaults; unknown keys and bad values are errors."""
    import yaml

    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else "?"
        raise ConfigError(
            f"{source}:{line}: cannot parse YAML: {getattr(exc, 'problem', None) or exc}.",
            hint="Fix the indentation or quoting at that line.",
        ) from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(
            f"policies file '{source}' must map risk classes to policies, got "
            f"{type(raw).__name__}.",
            hint="Write e.g. `high: {approvals: [risk-officer, model-owner]}`.",
        )
    try:
        overrides = PoliciesFile.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(
            f"invalid policies file '{source}':\n  " + "\n  ".join(_problems(exc)),
            hint="\nClasses: prohibited, high, limited, minimal; keys: require, approvals, "
            "min_retention_days, promotion_allowed, retention_days, gate_against_champion; "
            f"items: {', '.join(ITEMS)}.",
        ) from None
    policies = dict(DEFAULT_POLICIES)
    for risk_class in policies:
        override: PolicyOverride | None = getattr(overrides, risk_class)
        if override is not None:
            changes = override.model_dump(exclude_none=True)
            policies[risk_class] = policies[risk_class].model_copy(update=changes)
    return PolicySet(policies, str(source))


def _problems(exc: ValidationError) -> list[str]:
    problems = []
    for error in exc.errors():
        loc = tuple(str(part) for part in error["loc"])
        dotted = ".".join(loc) or "(top level)"
        if error["type"] == "extra_forbidden":
            model = PoliciesFile if len(loc) == 1 else PolicyOverride
            valid = sorted(model.model_fields)
            close = difflib.get_close_matches(loc[-1], valid, n=1, cutoff=0.5)
            guess = f" Did you mean '{close[0]}'?" if close else ""
            problems.append(f"unknown key '{dotted}'.{guess} Valid: {', '.join(valid)}.")
        else:
            message = error["msg"].removeprefix("Value error, ")
            problems.append(f"{dotted} = {error.get('input')!r:.80}: {message}.")
    return problems


def load_policies(config: BoucleConfig) -> PolicySet:
    """The shipped defaults, overridden by ``governance.policies`` or policies.yaml if present."""
    configured = config.governance.policies
    path = config.base_dir / (configured or "policies.yaml")
    if not path.is_file():
        if configured is not None:
            raise ConfigError(
                f"governance.policies '{configured}' does not exist (looked for {path}).",
                hint="Fix the path (relative to boucle.yaml), or remove the key to use the "
                "shipped defaults.",
            )
        return PolicySet(dict(DEFAULT_POLICIES), "shipped defaults")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"cannot read policies file '{path}': {exc}.",
            hint="Check its permissions and that it is UTF-8 text.",
        ) from exc
    return parse_policies(text, source=path)


def effective_policy(config: BoucleConfig, policies: PolicySet, risk_class: RiskClass) -> Policy:
    """The policy of ``risk_class`` with ``governance.required_approvals`` applied."""
    policy = policies.for_class(risk_class)
    required = config.governance.required_approvals
    if required is None or not policy.promotion_allowed:
        return policy
    return policy.model_copy(update={"approvals": list(required)})


def retention_setting(config: BoucleConfig, policy: Policy) -> tuple[int, str]:
    """The retention asked for and where it comes from, before the legal minimum is applied.

    ``governance.retention_days`` when boucle.yaml (or the environment) sets it, else the
    policy's ``retention_days`` (183 days for high-risk, 90 for limited and minimal).
    """
    governance = config.governance
    if "retention_days" in governance.model_fields_set:
        return governance.retention_days, "governance.retention_days"
    return policy.retention_days, "policy retention_days"
