"""The promotion checklist: each mandatory item of a policy, found or missing, and how to get it.

The champion gate is the one item that depends on the registry: a version replacing an
existing champion must pass a ``gate_evaluated`` decision *against that champion*, recorded
after the champion last changed (:class:`ChampionView`). It is added automatically when the
policy's ``gate_against_champion`` is on (the default) and the target alias is ``champion``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from boucle.config.paths import is_url
from boucle.governance.policies import monitoring_coverage, retention_setting

if TYPE_CHECKING:
    from collections.abc import Callable

    from boucle.config import BoucleConfig
    from boucle.governance.approvals import RoleStatus
    from boucle.governance.classify import Classification
    from boucle.governance.evidence import Evidence
    from boucle.governance.policies import ItemName, Policy
    from boucle.ledger import LedgerEvent

__all__ = ["ChampionView", "ChecklistItem", "build_checklist", "champion_gate_event"]

CHAMPION = "champion"  # = boucle.registry.CHAMPION, without importing MLflow's bridge


@dataclass(frozen=True)
class ChampionView:
    """What a promotion would replace: the champion now and when it last changed."""

    version: int | None
    """The version holding ``champion`` in the registry (None: no champion yet)."""
    changed_at: int | None = None
    """Ledger index of the last change of the champion (see :func:`~.history.alias_state`)."""
    target_alias: str = CHAMPION
    """The alias the promotion moves."""


@dataclass(frozen=True)
class ChecklistItem:
    """One mandatory item: ``passed`` or not, what was found, and how to get it when missing."""

    name: str
    label: str
    passed: bool
    detail: str
    fix: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return dict(self.__dict__)


def _item(name: str, label: str, found: tuple[bool, str], fix: str) -> ChecklistItem:
    passed, detail = found
    return ChecklistItem(name, label, passed, detail, "" if passed else fix)


def build_checklist(
    *,
    config: BoucleConfig,
    policy: Policy,
    classification: Classification | None,
    evidence: Evidence,
    roles: list[RoleStatus],
    champion: ChampionView | None = None,
) -> list[ChecklistItem]:
    """Evaluate every item ``policy`` requires against the evidence, approvals and config.

    ``classification`` is the current ``use_case:`` classified now (None without a use case);
    the recorded one is in ``evidence.classification``. With ``champion`` the champion gate
    is judged against that champion (and added when the policy makes it automatic); without
    it, only a listed ``champion_gate`` is checked, on the latest gate decision.
    """
    items: list[ChecklistItem] = []
    if not policy.promotion_allowed:
        refs = ", ".join(classification.refs) if classification else "Art. 5"
        items.append(
            ChecklistItem(
                "prohibited",
                "not a prohibited practice (Art. 5)",
                False,
                f"{refs}: a prohibited practice may not be placed on the market, put into "
                "service or used",
                "Change the use case; no approval can lift an Art. 5 prohibition.",
            )
        )
    gate = _gate_item(policy, evidence, champion)
    for name in policy.require:
        if name == "champion_gate":
            items += [gate] if gate is not None else []
            continue
        label, check, fix = _CHECKS[name]
        items.append(_item(name, label, check(config, classification, evidence), fix))
    if gate is not None and "champion_gate" not in policy.require:
        items.append(gate)  # automatic: after the listed items
    if policy.min_retention_days:
        days, source = retention_setting(config, policy)
        items.append(
            _item(
                "retention",
                f"log and ledger retention ≥ {policy.min_retention_days} days (Art. 19, 26(6))",
                (days >= policy.min_retention_days, f"{source} = {days}"),
                f"Set governance.retention_days to at least {policy.min_retention_days}.",
            )
        )
    for status in roles:
        items.append(_approval_item(status, evidence))
    return items


def _approval_item(status: RoleStatus, evidence: Evidence) -> ChecklistItem:
    notes = "; ".join(status.notes)
    ref = evidence.ref
    if status.approval is not None:
        approval = status.approval
        detail = f"{approval.by} (#{approval.index}, {approval.time[:10]})"
        return ChecklistItem(f"approval:{status.role}", f"approval by {status.role}", True, detail)
    detail = notes or "no approval for the current evidence"
    return ChecklistItem(
        f"approval:{status.role}",
        f"approval by {status.role}",
        False,
        detail,
        f"boucle approve {ref.version} --role {status.role} --by NAME --comment '...' "
        f"(evidence {evidence.hash[:12]})",
    )


Found = tuple[bool, str]


def _event_at(event: LedgerEvent) -> str:
    return f"#{event.index}, {event.time[:10]}"


def _classified(config: BoucleConfig, now: Classification | None, evidence: Evidence) -> Found:
    recorded = evidence.classification
    if now is None:
        return False, "no use_case: in boucle.yaml (the high-risk policy applies until classified)"
    if recorded is None:
        return False, f"not recorded yet (would be {now.label})"
    if recorded.payload.get("use_case_hash") != now.use_case_hash:
        return False, f"use_case changed since the last classification ({_event_at(recorded)})"
    refs = ", ".join(now.refs) or "no trigger"
    return True, f"{now.label} ({refs}) ({_event_at(recorded)})"


def _passed_event(kind: str, what: str) -> Callable[..., Found]:
    def check(config: BoucleConfig, now: Classification | None, evidence: Evidence) -> Found:
        event = evidence.latest(kind)
        if event is None:
            return False, f"no {kind} event for this version's {what}"
        if event.payload.get("passed") is False:
            failures = event.payload.get("failures") or [f"{event.payload.get('errors')} errors"]
            return False, f"failed ({_event_at(event)}): {'; '.join(map(str, failures))[:200]}"
        return True, f"passed ({_event_at(event)})"

    return check


def _fairness(config: BoucleConfig, now: Classification | None, evidence: Evidence) -> Found:
    """Passed only when the gate measured something: an empty verdict proves nothing."""
    event = evidence.latest("fairness_checked")
    if event is not None and not _fairness_measured(event.payload):
        reason = event.payload.get("unmeasured_reason") or "no group metric in the event"
        return (
            False,
            f"nothing measured ({_event_at(event)}): {reason}; set data.sensitive to the "
            "protected feature columns, with groups of at least fairness.min_group_size rows",
        )
    return _passed_event("fairness_checked", "lineage")(config, now, evidence)


def _fairness_measured(payload: dict[str, Any]) -> bool:
    """The event's ``measured``; for events recorded before it existed, read the metrics."""
    if "measured" in payload:
        return bool(payload["measured"])
    attributes = [m for m in (payload.get("metrics") or {}).values() if isinstance(m, dict)]
    if not attributes:
        return True  # nothing to read: the event's own verdict stands
    keys = ("dp_ratio", "dp_difference", "eo_difference")
    return any(a.get(key) is not None for a in attributes for key in keys)


def _explained(config: BoucleConfig, now: Classification | None, evidence: Evidence) -> Found:
    event = evidence.latest("explained")
    if event is None:
        return False, "no explained event for this version's lineage"
    top = event.payload.get("top_features") or []
    names = ", ".join(str(f.get("feature")) for f in top[:3] if isinstance(f, dict))
    return (
        True,
        f"{event.payload.get('method')} ({_event_at(event)}){': ' + names if names else ''}",
    )


def _champion_gate(config: BoucleConfig, now: Classification | None, evidence: Evidence) -> Found:
    event = evidence.latest("gate_evaluated")
    if event is None:
        return False, f"no gate_evaluated event with challenger_version {evidence.ref.version}"
    if not event.payload.get("passed"):
        checks = event.payload.get("checks") or []
        failed = [str(c.get("name")) for c in checks if isinstance(c, dict) and not c.get("passed")]
        return False, f"failed ({_event_at(event)}): {', '.join(failed) or 'see the event'}"
    champion = event.payload.get("champion_version")
    against = f"against v{champion}" if champion is not None else "no champion to compare"
    return True, f"passed {against} ({_event_at(event)})"


def champion_gate_event(evidence: Evidence, champion: int) -> LedgerEvent | None:
    """The latest ``gate_evaluated`` of this version (challenger) against ``champion``."""
    return next(
        (
            e
            for e in reversed(evidence.events)
            if e.kind == "gate_evaluated"
            and str(e.payload.get("champion_version")) == str(champion)
        ),
        None,
    )


def _gate_item(
    policy: Policy, evidence: Evidence, champion: ChampionView | None
) -> ChecklistItem | None:
    listed = "champion_gate" in policy.require
    label, legacy, _ = _CHECKS["champion_gate"]
    version = evidence.ref.version
    if champion is None or champion.version is None:
        if not listed:
            return None
        fix = f"Run `boucle gate {version}` (gates: in boucle.yaml) and pass it."
        return _item("champion_gate", label, legacy(None, None, evidence), fix)
    if champion.version == version:
        if not listed:
            return None
        found = (True, f"v{version} is already {CHAMPION}: no champion to beat")
        return _item("champion_gate", label, found, "")
    automatic = policy.gate_against_champion and champion.target_alias == CHAMPION
    if not (listed or automatic):
        return None
    fix = f"Run `boucle gate {version}` (against champion v{champion.version}) and pass it."
    return _item("champion_gate", label, _fresh_gate(evidence, champion, champion.version), fix)


def _fresh_gate(evidence: Evidence, champion: ChampionView, holder: int) -> Found:
    event = champion_gate_event(evidence, holder)
    if event is None:
        return False, f"no gate_evaluated of v{evidence.ref.version} against champion v{holder}"
    if champion.changed_at is not None and event.index < champion.changed_at:
        return (
            False,
            f"the gate against v{holder} ({_event_at(event)}) predates the last change of the "
            f"champion (#{champion.changed_at})",
        )
    if not event.payload.get("passed"):
        checks = event.payload.get("checks") or []
        failed = [str(c.get("name")) for c in checks if isinstance(c, dict) and not c.get("passed")]
        return False, f"failed against v{holder} ({_event_at(event)}): {', '.join(failed)}"
    return True, f"passed against champion v{holder} ({_event_at(event)})"


def _onnx_parity(config: BoucleConfig, now: Classification | None, evidence: Evidence) -> Found:
    event = evidence.latest("model_exported")
    if event is None:
        blocked = evidence.latest("model_export_blocked")
        if blocked is not None:
            reason = blocked.payload.get("reason")
            return False, f"no ONNX form ({_event_at(blocked)}): {reason}"
        return False, f"version {evidence.ref.version} was never exported"
    parity = event.payload.get("parity") or {}
    if not parity.get("passed"):
        return False, f"parity failed ({_event_at(event)}): max |diff| {parity.get('max_abs_diff')}"
    return True, f"max |diff| {parity.get('max_abs_diff')} ({_event_at(event)})"


def _use_case_text(key: str) -> Callable[..., Found]:
    def check(config: BoucleConfig, now: Classification | None, evidence: Evidence) -> Found:
        text = getattr(config.use_case, key, None) if config.use_case else None
        if text is None:
            return False, f"use_case.{key} is not set"
        return True, text if len(text) <= 80 else text[:77] + "..."

    return check


def _monitoring_plan(config: BoucleConfig, now: Classification | None, evidence: Evidence) -> Found:
    """A written plan (file or URL), or configured monitoring complete enough to be one.

    The configured monitoring is written out as Annex IV item 9 (Art. 72(3): the plan is part
    of the technical documentation); it counts when it watches drift and performance and
    alerts a person (:func:`~boucle.governance.policies.monitoring_coverage`).
    """
    plan = config.governance.monitoring_plan
    if plan is not None and is_url(plan):
        return True, plan
    if plan is not None:
        path = config.base_dir / plan
        if not path.is_file():
            return False, f"governance.monitoring_plan '{plan}' not found (looked for {path})"
        return True, plan
    coverage = monitoring_coverage(config)
    if coverage.complete:
        return True, f"configured monitoring (Annex IV item 9): {coverage.summary()}"
    return (
        False,
        "governance.monitoring_plan is not set, and the configured monitoring lacks "
        + "; ".join(coverage.missing),
    )


_CHECKS: dict[ItemName, tuple[str, Callable[..., Found], str]] = {
    "classified": (
        "risk class recorded (Art. 6)",
        _classified,
        "Run `boucle classify` (add use_case: first, or `boucle classify --interactive`).",
    ),
    "data_gate": (
        "data gate passed (Art. 10)",
        _passed_event("data_validated", "training data"),
        "Run `boucle run`: its validate step checks the data; fix every failed error check.",
    ),
    "explanation": (
        "explanation (Art. 13)",
        _explained,
        "Run the explain step (`boucle run` with explain: enabled) for this version's lineage.",
    ),
    "fairness_gate": (
        "fairness gate passed (Art. 10(2)(f))",
        _fairness,
        "Run the fairness step (`boucle run` with fairness: and data.sensitive) and pass it; "
        "it must measure at least two groups of fairness.min_group_size rows.",
    ),
    "robustness": (
        "robustness checked (Art. 15)",
        _passed_event("robustness_checked", "lineage"),
        "Run the robustness step (`boucle run` with robustness: enabled) and pass it.",
    ),
    "champion_gate": (
        "champion/challenger gate passed",
        _champion_gate,
        "Run the gate step (gates: in boucle.yaml) on this version as challenger.",
    ),
    "onnx_parity": (
        "ONNX export with parity",
        _onnx_parity,
        "Run `boucle export VERSION` (fix export.tolerance if parity fails).",
    ),
    "serving_skew": (
        "no train/serve skew (ONNX parity, serving schema = training schema)",
        _passed_event("skew_checked", "lineage"),
        "Run `boucle run` with export: enabled (its skew step) and fix what it names.",
    ),
    "human_oversight": (
        "human oversight described (Art. 14)",
        _use_case_text("human_oversight"),
        "Describe it in use_case.human_oversight, then `boucle classify`.",
    ),
    "transparency_notice": (
        "transparency notice (Art. 50)",
        _use_case_text("transparency_notice"),
        "Describe it in use_case.transparency_notice, then `boucle classify`.",
    ),
    "monitoring_plan": (
        "monitoring plan (Art. 72)",
        _monitoring_plan,
        "Set governance.monitoring_plan to the plan's path or URL, or configure the "
        "monitoring that item 9 of the Annex IV document writes out: alerts.rules (or "
        "retrain.rules) on drift.* and performance.*, sent to a webhook or smtp sink.",
    ),
}
