"""The evidence and configuration items of the promotion checklist: how each is judged.

Each item of a policy (:data:`CHECKS`) has a label, a check ``(config, classification,
evidence) -> (passed, detail)`` and a fix; :func:`fix_of` replaces the fix where the
version's own evidence calls for another one (a fair challenger, a version with no ONNX
form). :mod:`boucle.governance.checklist` assembles them with the champion gate and the
approvals.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from boucle.config.paths import is_url
from boucle.governance.monitoring_coverage import monitoring_coverage

if TYPE_CHECKING:
    from collections.abc import Callable

    from boucle.config import BoucleConfig
    from boucle.governance.classify import Classification
    from boucle.governance.evidence import Evidence
    from boucle.governance.policies import ItemName
    from boucle.ledger import LedgerEvent

__all__ = ["CHECKS", "Found", "event_at", "fix_of"]

Found = tuple[bool, str]


def event_at(event: LedgerEvent) -> str:
    """``#index, date`` of an event, as every detail cites it."""
    return f"#{event.index}, {event.time[:10]}"


def _classified(config: BoucleConfig, now: Classification | None, evidence: Evidence) -> Found:
    recorded = evidence.classification
    if now is None:
        return False, "no use_case: in boucle.yaml (the high-risk policy applies until classified)"
    if recorded is None:
        return False, f"not recorded yet (would be {now.label})"
    if recorded.payload.get("use_case_hash") != now.use_case_hash:
        return False, f"use_case changed since the last classification ({event_at(recorded)})"
    refs = ", ".join(now.refs) or "no trigger"
    return True, f"{now.label} ({refs}) ({event_at(recorded)})"


def _passed_event(kind: str, what: str) -> Callable[..., Found]:
    def check(config: BoucleConfig, now: Classification | None, evidence: Evidence) -> Found:
        event = evidence.latest(kind)
        if event is None:
            return False, f"no {kind} event for this version's {what}"
        if event.payload.get("passed") is False:
            failures = event.payload.get("failures") or [f"{event.payload.get('errors')} errors"]
            return False, f"failed ({event_at(event)}): {'; '.join(map(str, failures))[:200]}"
        return True, f"passed ({event_at(event)})"

    return check


def _fairness(config: BoucleConfig, now: Classification | None, evidence: Evidence) -> Found:
    """Passed only when the gate measured something: an empty verdict proves nothing."""
    event = evidence.latest("fairness_checked")
    if event is not None and not _fairness_measured(event.payload):
        reason = event.payload.get("unmeasured_reason") or "no group metric in the event"
        return (
            False,
            f"nothing measured ({event_at(event)}): {reason}; set data.sensitive to the "
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
        f"{event.payload.get('method')} ({event_at(event)}){': ' + names if names else ''}",
    )


def _champion_gate(config: BoucleConfig, now: Classification | None, evidence: Evidence) -> Found:
    event = evidence.latest("gate_evaluated")
    if event is None:
        return False, f"no gate_evaluated event with challenger_version {evidence.ref.version}"
    if not event.payload.get("passed"):
        checks = event.payload.get("checks") or []
        failed = [str(c.get("name")) for c in checks if isinstance(c, dict) and not c.get("passed")]
        return False, f"failed ({event_at(event)}): {', '.join(failed) or 'see the event'}"
    champion = event.payload.get("champion_version")
    against = f"against v{champion}" if champion is not None else "no champion to compare"
    return True, f"passed {against} ({event_at(event)})"


def fix_of(name: str, evidence: Evidence) -> str | None:
    """The fix of a missing item when this version's own evidence calls for another one.

    A fair challenger's fairness is fixed by its mitigation, not by the fairness step; a
    version with no ONNX form (its ``model_export_blocked``) cannot get parity or a skew
    check by running an export.
    """
    of = evidence.ref.mitigation_of
    if name == "fairness_gate" and of is not None:
        return (
            f"This fair challenger (mitigation of v{of}) is judged on its own 'after' "
            "report: change fairness.mitigation_constraint (demographic_parity or "
            "equalized_odds) or fairness.mitigation_sensitive, or the gate thresholds "
            "(fairness.min_dp_ratio, max_dp_difference, max_eo_difference), then `boucle run`."
        )
    blocked = evidence.latest("model_export_blocked")
    if name in ("onnx_parity", "serving_skew") and blocked is not None:
        return (
            f"Not applicable to v{evidence.ref.version}, which has no ONNX form (served through "
            f"the Python path): drop {name} from this risk class's require in policies.yaml, "
            "or promote a version with an ONNX export."
        )
    return None


def _blocked(evidence: Evidence) -> Found | None:
    """``blocked`` when this version recorded that it has no ONNX form (nothing to compare)."""
    blocked = evidence.latest("model_export_blocked")
    if blocked is None:
        return None
    reason = blocked.payload.get("reason")
    return False, f"blocked: no ONNX form ({event_at(blocked)}): {reason}"


def _serving_skew(config: BoucleConfig, now: Classification | None, evidence: Evidence) -> Found:
    if evidence.latest("skew_checked") is None:
        blocked = _blocked(evidence)
        if blocked is not None:
            return blocked
    return _passed_event("skew_checked", "lineage")(config, now, evidence)


def _onnx_parity(config: BoucleConfig, now: Classification | None, evidence: Evidence) -> Found:
    event = evidence.latest("model_exported")
    if event is None:
        return _blocked(evidence) or (False, f"version {evidence.ref.version} was never exported")
    parity = event.payload.get("parity") or {}
    if not parity.get("passed"):
        return False, f"parity failed ({event_at(event)}): max |diff| {parity.get('max_abs_diff')}"
    return True, f"max |diff| {parity.get('max_abs_diff')} ({event_at(event)})"


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


CHECKS: dict[ItemName, tuple[str, Callable[..., Found], str]] = {
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
        _serving_skew,
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
