"""The AI Act questionnaire asked by ``boucle classify --interactive``.

The questions follow the order of the Act (Annex III use in the chosen area, Art. 5 practices,
Art. 50 cases, Annex I, profiling, Art. 6(3) derogation) and yield a :class:`UseCaseConfig`.
The terminal is behind the :class:`Asker` protocol, so the same flow runs from any front end.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from boucle.config.governance import DOMAINS, UseCaseConfig
from boucle.errors import ConfigError
from boucle.governance.rules import ANNEX_III_AREAS, DEROGATIONS, RULES

__all__ = ["Asker", "Option", "append_use_case", "ask_use_case", "use_case_yaml"]

Option = tuple[str, str]
"""A choice: (value, description shown to the user)."""


class Asker(Protocol):
    """How the questionnaire talks to a person."""

    def text(self, question: str, *, required: bool) -> str:
        """Free text ('' when not ``required`` and left empty)."""

    def choose(self, question: str, options: list[Option]) -> str:
        """Exactly one of ``options``; returns its value."""

    def choose_many(self, question: str, options: list[Option]) -> list[str]:
        """Any number of ``options`` (possibly none); returns their values."""

    def confirm(self, question: str) -> bool:
        """Yes or no."""


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def ask_use_case(asker: Asker) -> UseCaseConfig:
    """Ask the questionnaire and return the validated use case."""
    purpose = asker.text("Intended purpose of the model, in one sentence", required=True)
    domains: list[Option] = [
        (d, f"{ANNEX_III_AREAS[d][0]}: {ANNEX_III_AREAS[d][1]}" if d in ANNEX_III_AREAS else "")
        for d in DOMAINS
    ]
    domain = asker.choose("Area the model is used in", domains)
    in_area = [r for r in RULES if r.domain == domain or (domain == "other" and r.domain)]
    decisions = asker.choose_many(
        "Is the model's output used for any of these? (Annex III)",
        [(r.code, f"{r.ref}: {r.summary}") for r in in_area],
    )
    for risk_class, title in (
        ("prohibited", "Does the system do any of these? (Art. 5, prohibited practices)"),
        ("limited", "Does the system do any of these? (Art. 50, transparency)"),
    ):
        decisions += asker.choose_many(
            title, [(r.code, f"{r.ref}: {r.summary}") for r in RULES if r.risk_class == risk_class]
        )
    safety = asker.confirm(
        "Is it a safety component of a product under Annex I legislation "
        "(machinery, medical devices, toys, vehicles, ...)?"
    )
    profiling = asker.confirm(
        "Does it profile natural persons (evaluate personal aspects such as economic "
        "situation, health, behaviour, reliability)?"
    )
    derogation, reason = None, None
    high = [c for c in decisions if any(r.code == c and r.risk_class == "high" for r in RULES)]
    if high and not profiling:
        options = [("none", "no derogation: the use is high-risk")] + [
            (code, f"{ref}: {meaning}") for code, (ref, meaning) in DEROGATIONS.items()
        ]
        chosen = asker.choose("Does an Art. 6(3) derogation apply?", options)
        if chosen != "none":
            derogation = chosen
            reason = asker.text("The documented assessment (Art. 6(4))", required=True)
    answers = {
        "purpose": purpose,
        "domain": domain,
        "decisions": decisions,
        "users": _split(asker.text("Who operates it (comma-separated)", required=False)),
        "affected_persons": _split(
            asker.text("Whom its outputs affect (comma-separated)", required=False)
        ),
        "data_categories": _split(
            asker.text("Kinds of personal data used (comma-separated)", required=False)
        ),
        "profiling": profiling,
        "safety_component": safety,
        "human_oversight": asker.text(
            "How people oversee and can override its outputs (Art. 14)", required=False
        )
        or None,
        "transparency_notice": asker.text(
            "How affected persons are told an AI system is involved (Art. 50)", required=False
        )
        or None,
        "derogation": derogation,
        "derogation_reason": reason,
    }
    return UseCaseConfig.model_validate(answers)


def use_case_yaml(use_case: UseCaseConfig) -> str:
    """The ``use_case:`` section as YAML text to paste into boucle.yaml."""
    import yaml

    data = use_case.model_dump(mode="json", exclude_defaults=True)
    return yaml.safe_dump({"use_case": data}, sort_keys=False, allow_unicode=True, width=90)


def append_use_case(config_path: Path, use_case: UseCaseConfig) -> None:
    """Append the ``use_case:`` section to boucle.yaml (atomic write).

    Raises ConfigError when the file already has one (it is never rewritten: comments and
    layout stay the user's).
    """
    import yaml

    from boucle.store._local import write_atomic

    text = config_path.read_text(encoding="utf-8")
    existing = yaml.safe_load(text) or {}
    if isinstance(existing, dict) and "use_case" in existing:
        raise ConfigError(
            f"{config_path} already has a use_case: section; it was not changed.",
            hint="Replace it by hand with the section printed above.",
        )
    block = ("" if text.endswith("\n") or not text else "\n") + use_case_yaml(use_case)
    write_atomic(str(config_path), [text.encode("utf-8"), block.encode("utf-8")])
