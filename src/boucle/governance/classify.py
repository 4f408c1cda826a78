"""Map a ``use_case:`` to its EU AI Act risk class, naming the provision that triggered it.

The order of the Act decides: an Art. 5 practice makes the system *prohibited*; otherwise an
Annex III use (unless an Art. 6(3) derogation holds) or an Annex I safety component makes it
*high*-risk; otherwise an Art. 50 case makes it *limited* (transparency duties); otherwise it
is *minimal*. The classification is recorded in the ledger as ``use_case_classified``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from boucle.config.governance import RiskClass, UseCaseConfig
from boucle.errors import ConfigError
from boucle.governance.rules import ANNEX_III_AREAS, DEROGATIONS, RULES, Rule, rule_for
from boucle.hashing import hash_json

if TYPE_CHECKING:
    from boucle.config import BoucleConfig
    from boucle.ledger import Ledger, LedgerEvent

__all__ = [
    "RISK_ORDER",
    "Classification",
    "Trigger",
    "classify_project",
    "classify_use_case",
    "latest_classification",
    "record_classification",
    "require_use_case",
    "risk_label",
    "use_case_hash",
]

RISK_ORDER: tuple[RiskClass, ...] = ("prohibited", "high", "limited", "minimal")
_LABELS: dict[RiskClass, str] = {
    "prohibited": "prohibited practice",
    "high": "high-risk",
    "limited": "limited risk (transparency)",
    "minimal": "minimal risk",
}


def risk_label(risk_class: RiskClass) -> str:
    """Human wording of a risk class (``high`` → ``high-risk``)."""
    return _LABELS[risk_class]


@dataclass(frozen=True)
class Trigger:
    """One provision that applies to the use case, and why."""

    ref: str
    reason: str
    risk_class: RiskClass

    def to_dict(self) -> dict[str, str]:
        """JSON form (the ``triggers`` entries of ``use_case_classified``)."""
        return {"ref": self.ref, "reason": self.reason, "risk_class": self.risk_class}


@dataclass(frozen=True)
class Classification:
    """The risk class of a use case, the provisions behind it and notes for the reader."""

    risk_class: RiskClass
    triggers: tuple[Trigger, ...]
    notes: tuple[str, ...]
    use_case_hash: str
    purpose: str

    @property
    def label(self) -> str:
        """``high-risk``, ``minimal risk`` …"""
        return risk_label(self.risk_class)

    @property
    def refs(self) -> list[str]:
        """The provisions that set the class (e.g. ``['Annex III 5(b)']``)."""
        return [t.ref for t in self.triggers if t.risk_class == self.risk_class]

    def to_payload(self) -> dict[str, Any]:
        """Payload of the ``use_case_classified`` ledger event."""
        return {
            "risk_class": self.risk_class,
            "triggers": [t.to_dict() for t in self.triggers],
            "use_case_hash": self.use_case_hash,
            "notes": list(self.notes),
            "purpose": self.purpose,
        }


def use_case_hash(use_case: UseCaseConfig) -> str:
    """blake3 of the use case's canonical JSON: what a classification and approvals bind to."""
    return hash_json(use_case.model_dump(mode="json"))


def classify_use_case(use_case: UseCaseConfig) -> Classification:
    """Classify a use case by the rule table; every trigger names its article or Annex point."""
    triggers: list[Trigger] = []
    notes: list[str] = []
    annex: list[Rule] = []
    for code in use_case.decisions:
        rule = rule_for(code)
        if rule.risk_class is None:
            notes.append(f"{rule.ref}: {rule.summary} ('{code}').")
        elif rule.risk_class == "high":
            annex.append(rule)
        else:
            triggers.append(Trigger(rule.ref, rule.summary, rule.risk_class))
        if rule.transparency is not None:
            reason = f"deployers must inform the persons exposed ({code})"
            triggers.append(Trigger(rule.transparency, reason, "limited"))
    triggers += _annex_triggers(use_case, annex, notes)
    if use_case.safety_component:
        triggers.append(
            Trigger(
                "Art. 6(1)",
                "safety component of a product covered by the Union harmonisation legislation "
                "of Annex I (third-party conformity assessment)",
                "high",
            )
        )
    notes += _domain_notes(use_case)
    risk_class: RiskClass = next(
        (level for level in RISK_ORDER if any(t.risk_class == level for t in triggers)),
        "minimal",
    )
    if risk_class == "minimal" and not any(t.risk_class == "minimal" for t in triggers):
        notes.append(
            "No Art. 5 practice, no Annex III use, no Annex I safety component and no Art. 50 "
            "case: minimal risk (AI literacy, Art. 4, and voluntary codes of conduct, Art. 95)."
        )
    ordered = sorted(triggers, key=lambda t: RISK_ORDER.index(t.risk_class))
    return Classification(
        risk_class=risk_class,
        triggers=tuple(ordered),
        notes=tuple(notes),
        use_case_hash=use_case_hash(use_case),
        purpose=use_case.purpose,
    )


def _annex_triggers(use_case: UseCaseConfig, annex: list[Rule], notes: list[str]) -> list[Trigger]:
    """Annex III uses are high-risk unless an Art. 6(3) derogation holds (never with profiling)."""
    derogation = use_case.derogation
    if derogation is None:
        suffix = " (the system profiles natural persons)" if use_case.profiling else ""
        return [Trigger(r.ref, r.summary + suffix, "high") for r in annex]
    ref, meaning = DEROGATIONS[derogation]
    if not annex:
        notes.append(
            f"use_case.derogation '{derogation}' ({ref}) ignored: it only applies to an "
            "Annex III use, and none is listed."
        )
        return []
    if use_case.profiling:
        notes.append(
            f"The {ref} derogation claimed does not apply: an Annex III system that profiles "
            "natural persons is always high-risk (Art. 6(3), last subparagraph)."
        )
        return [Trigger(r.ref, r.summary + " (profiling: no derogation)", "high") for r in annex]
    refs = ", ".join(r.ref for r in annex)
    notes.append(
        f"Derogation {ref} claimed for {refs}: keep the documented assessment (Art. 6(4)) and "
        "register the system in the EU database (Art. 49(2)); a market surveillance authority "
        "may re-classify it as high-risk."
    )
    reason = f"{refs} use that {meaning}: {use_case.derogation_reason}"
    return [Trigger(ref, reason, "minimal")]


def _domain_notes(use_case: UseCaseConfig) -> list[str]:
    area = ANNEX_III_AREAS.get(use_case.domain)
    if area is None:
        return []
    if any(rule_for(code).domain == use_case.domain for code in use_case.decisions):
        return []
    codes = ", ".join(r.code for r in RULES if r.domain == use_case.domain and r.risk_class)
    return [
        f"domain '{use_case.domain}' is {area[0]} ({area[1]}), but use_case.decisions lists "
        f"none of its uses ({codes}). The area alone does not make a system high-risk; if the "
        "model is used for one of them, add it to use_case.decisions."
    ]


def require_use_case(config: BoucleConfig) -> UseCaseConfig:
    """The ``use_case:`` section, or a ConfigError saying how to write it."""
    if config.use_case is None:
        where = config.path or "boucle.yaml"
        raise ConfigError(
            f"{where} has no use_case: section, so its EU AI Act risk class is unknown.",
            hint="Answer the questionnaire with `boucle classify --interactive`, or add "
            "use_case: {purpose: ..., domain: ..., decisions: [...]} (see docs/governance.md).",
        )
    return config.use_case


def record_classification(ledger: Ledger, classification: Classification) -> LedgerEvent:
    """Append ``use_case_classified`` to the ledger and return the stored event."""
    return ledger.append("use_case_classified", classification.to_payload())


def latest_classification(ledger: Ledger) -> LedgerEvent | None:
    """The last ``use_case_classified`` event of the ledger, if any."""
    events = ledger.events(kind="use_case_classified")
    return events[-1] if events else None


def classify_project(
    config: BoucleConfig, *, use_case: UseCaseConfig | None = None
) -> tuple[Classification, LedgerEvent]:
    """Classify the project's use case (or ``use_case``) and record it in the ledger."""
    from boucle.ledger import Ledger

    classification = classify_use_case(use_case or require_use_case(config))
    with Ledger(config.stores.ledger or "") as ledger:
        event = record_classification(ledger, classification)
    return classification, event
