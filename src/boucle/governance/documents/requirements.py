"""Annex IV blocks about how the system was built and which requirements it meets.

The development facts (item 2 (a)-(c)), the input specification (item 3), the promotion
decisions (item 5), the Chapter III Section 2 requirements with the evidence boucle holds for
each (item 7) and the placeholder of the EU declaration of conformity (item 8).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from boucle.governance.documents.facts import Citations, Fact, fact_table
from boucle.reports import Badge, Block, Cell, Table, Text, format_number

if TYPE_CHECKING:
    from boucle.governance.documents.gather import VersionFacts

__all__ = [
    "NO_FIELD",
    "declaration_blocks",
    "development_facts",
    "input_table",
    "promotion_blocks",
    "requirements_table",
    "standards_blocks",
]

NO_FIELD = "boucle has no field for it: the provider adds it when reviewing this document"

_RUN = "`boucle run` (the version's run manifest is not in the store)"


def development_facts(facts: VersionFacts, cite: Citations) -> list[Fact]:
    """Methods, design choices and computation of the version's run."""
    run = facts.run
    train = run.step("train")
    if not train:
        return [Fact("development method", None, how=_RUN)]
    config: dict[str, Any] = (run.manifest or {}).get("config", {})
    split = config.get("split") or {}
    data = config.get("data") or {}
    source = cite(*run.sources("train"))
    split_source = cite(*run.sources("split"))
    functions = train.get("feature_functions") or []
    started: dict[str, Any] = run.started.payload if run.started else {}
    task = config.get("task", "?")
    target = f"'{data.get('target')}'" + (
        f", positive class '{data.get('positive_class')}'" if data.get("positive_class") else ""
    )
    search = (
        f"{train.get('trials_completed')} Optuna trial(s) maximising {train.get('metric')}"
        if train.get("trials_completed")
        else f"default parameters (no search); model selection metric {train.get('metric')}"
    )
    seconds = (run.manifest or {}).get("seconds")
    return [
        Fact(
            "development method",
            f"supervised {task} ({train.get('model')}) fitted by boucle run {run.run_id}",
            source,
        ),
        Fact("pre-trained components", "none: fitted from the training snapshot only", source),
        Fact("what the system predicts", target, source),
        Fact("hyper-parameter search", search, source),
        Fact(
            "feature functions",
            ", ".join(f"{f.get('spec')} ({str(f.get('source_hash'))[:12]})" for f in functions)
            or "none",
            source,
        ),
        Fact("model inputs", f"{len(train.get('model_inputs') or [])} columns", source),
        Fact(
            "pre-determined changes (item 2(f))",
            "none outside new versions: a retrained model is a new version, promoted only "
            "through the policy (item 5) and the champion/challenger gates (item 9)",
            "boucle registry",
        ),
        Fact(
            "held-out split",
            f"test_size {split.get('test_size')}, seed {split.get('seed')}, "
            f"stratified {split.get('stratify')}",
            split_source,
        ),
        Fact(
            "computation",
            f"run of {format_number(seconds)} s on {started.get('platform')}, "
            f"Python {started.get('python')}"
            if seconds is not None
            else None,
            cite(run.started, run.finished),
            how=_RUN,
        ),
    ]


def input_table(facts: VersionFacts, cite: Citations) -> Block:
    """The model's input columns with their types in the snapshot; sensitive ones marked."""
    train = facts.run.step("train")
    columns = {
        str(c.get("name")): str(c.get("dtype"))
        for c in facts.run.step("snapshot").get("columns") or []
        if isinstance(c, dict)
    }
    features = [str(f) for f in train.get("features") or []]
    if not features:
        return fact_table([Fact("input columns", None, how=_RUN)])
    sensitive = set(facts.config.data.sensitive)
    rows: list[list[Cell]] = [
        [name, columns.get(name), Badge("sensitive", "info") if name in sensitive else None]
        for name in features
    ]
    return Table(
        header=("Column", "Type in the snapshot", ""),
        rows=rows,
        caption="Inputs the model expects. Source: "
        + cite(*facts.run.sources("train"), *facts.run.sources("snapshot")),
    )


def promotion_blocks(facts: VersionFacts, cite: Citations) -> list[Block]:
    """The promotion decisions recorded for the version (refusals with what was missing)."""
    decisions = [
        e
        for e in facts.lifecycle
        if e.kind in ("promotion_refused", "model_promoted")
        and str(e.payload.get("version")) == str(facts.ref.version)
    ]
    if not decisions:
        return []
    rows: list[list[Cell]] = []
    for event in decisions:
        promoted = event.kind == "model_promoted"
        detail = (
            f"previous champion {event.payload.get('previous_champion')}"
            if promoted
            else "missing " + ", ".join(map(str, event.payload.get("missing") or []))
        )
        rows.append(
            [
                event.index,
                event.time[:19].replace("T", " "),
                Badge("promoted", "good") if promoted else Badge("refused", "bad"),
                detail,
                cite(event),
            ]
        )
    return [
        Table(
            header=("#", "Time (UTC)", "Decision", "Detail", "Source"),
            rows=rows,
            caption="Promotion decisions for this version.",
        )
    ]


def _status(ok: bool | None, text: str) -> Badge:
    if ok is None:
        return Badge(text, "warn")
    return Badge(text, "good" if ok else "bad")


def requirements_table(facts: VersionFacts, cite: Citations) -> Block:
    """Art. 9 to 15 with the measure boucle applies and the evidence it holds for this version."""
    evidence = facts.evidence
    check = facts.check
    data = evidence.latest("data_validated")
    fairness = evidence.latest("fairness_checked")
    explained = evidence.latest("explained")
    robust = evidence.latest("robustness_checked")
    oversight = facts.config.use_case.human_oversight if facts.config.use_case else None

    def passed(event: Any) -> bool | None:
        return None if event is None else bool(event.payload.get("passed"))

    def verdict(event: Any) -> str:
        state = passed(event)
        return "not run" if state is None else ("passed" if state else "failed")

    present = sum(item.passed for item in check.items)
    rows: list[list[Cell]] = [
        [
            "Art. 9 risk management",
            "policy of the risk class, checked before promotion",
            _status(check.ok, f"{present}/{len(check.items)} items"),
            "item 5",
        ],
        [
            "Art. 10 data governance",
            "data gate (quality, leakage, PII, representation); fairness gate",
            _status(passed(data), f"data gate {verdict(data)}"),
            cite(data, fairness) or None,
        ],
        [
            "Art. 10(2)(f) bias",
            "group metrics and four-fifths rule",
            _status(passed(fairness), f"fairness {verdict(fairness)}"),
            cite(fairness) or None,
        ],
        [
            "Art. 11 technical documentation",
            "this document, from the ledger",
            Badge("generated", "good"),
            f"ledger head {facts.head.hash[:12]}",
        ],
        [
            "Art. 12 record-keeping",
            "hash-chained audit ledger; prediction log",
            Badge(f"{facts.head.count} events, intact", "good"),
            f"retention {facts.config.governance.retention_days} days",
        ],
        [
            "Art. 13 transparency",
            "SHAP explanations; model card",
            _status(
                None if explained is None else True, "explained" if explained else "no explanation"
            ),
            cite(explained) or None,
        ],
        [
            "Art. 14 human oversight",
            "use_case.human_oversight",
            _status(None if not oversight else True, "described" if oversight else "not recorded"),
            oversight,
        ],
        [
            "Art. 15 accuracy, robustness, cybersecurity",
            "held-out metrics; noise and swap "
            "flip rates; membership-inference probe; hash-verified artifacts",
            _status(passed(robust), f"robustness {verdict(robust)}"),
            cite(robust) or None,
        ],
    ]
    return Table(header=("Requirement", "Measure", "Status", "Evidence"), rows=rows)


def standards_blocks(facts: VersionFacts, cite: Citations) -> list[Block]:
    """Item 7: harmonised standards (not recorded) and the solutions boucle applied."""
    return [
        fact_table(
            [Fact("harmonised standards or common specifications applied", None, how=NO_FIELD)]
        ),
        Text("Solutions adopted to meet the requirements of Chapter III, Section 2:"),
        requirements_table(facts, cite),
    ]


def declaration_blocks(facts: VersionFacts, cite: Citations) -> list[Block]:
    """Item 8: a placeholder for the EU declaration of conformity (Art. 47, Annex V)."""
    ref = facts.ref
    use_case = facts.config.use_case
    personal = ", ".join(use_case.data_categories) if use_case else ""
    rows = [
        Fact(
            "AI system name, type and reference",
            f"{ref.model} v{ref.version}, model digest {ref.model_digest}",
            cite(facts.registered),
        ),
        Fact("provider (name and address)", None, how=NO_FIELD),
        Fact("statement of sole responsibility", None, how="written and signed by the provider"),
        Fact(
            "statement of conformity with the Regulation",
            None,
            how="written and signed by the provider after the conformity assessment (Art. 43)",
        ),
        Fact(
            "personal data processed (GDPR statement where needed)",
            personal or None,
            "boucle.yaml use_case.data_categories",
            how="list use_case.data_categories, then `boucle classify`",
        ),
        Fact("harmonised standards referenced", None, how="see item 7"),
        Fact("notified body and certificate (where applicable)", None, how=NO_FIELD),
        Fact("place and date of issue, signatory", None, how="the provider's signature"),
    ]
    notice = (
        "Placeholder: the EU declaration of conformity (Art. 47, Annex V) is drawn up, signed "
        "and kept by the provider; boucle does not issue it. The fields it knows are filled."
    )
    if facts.check.risk_class != "high":
        notice += f" A {facts.check.risk_label} system needs no declaration under Art. 47."
    return [Text(notice, "warn"), fact_table(rows)]
