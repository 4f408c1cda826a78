"""Blocks shared by the model card and Annex IV: intended use, risk class, checklist, approvals,
lifecycle, software versions and the provenance section listing every cited event."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from boucle.governance.documents.facts import Citations, Fact, fact_table, short_hash
from boucle.reports import Badge, Block, Cell, Section, Table, Text

if TYPE_CHECKING:
    from boucle.governance.documents.gather import VersionFacts
    from boucle.ledger import LedgerEvent

__all__ = [
    "approvals_blocks",
    "built_from",
    "checklist_blocks",
    "classification_blocks",
    "lifecycle_blocks",
    "provenance_section",
    "use_case_facts",
    "versions_facts",
]

_CLASSIFY = "then `boucle classify`"


def built_from(facts: VersionFacts) -> str:
    """``built from ledger head <hash> (<count> events)``: what every document states."""
    return f"built from ledger head {facts.head.hash} ({facts.head.count} events)"


def _use_case_source(facts: VersionFacts, cite: Citations, key: str) -> str:
    from boucle.governance.classify import use_case_hash

    recorded = facts.evidence.classification
    use_case = facts.config.use_case
    where = f"boucle.yaml use_case.{key}"
    if use_case is None or recorded is None:
        return f"{where} (not classified yet: run `boucle classify`)"
    if recorded.payload.get("use_case_hash") == use_case_hash(use_case):
        return f"{where}, as classified in {cite(recorded)}"
    return f"{where}, changed since the classification {cite(recorded)}: run `boucle classify`"


def use_case_facts(facts: VersionFacts, cite: Citations) -> list[Fact]:
    """Intended purpose, users, affected persons, oversight… from ``use_case:``."""
    use_case = facts.config.use_case
    if use_case is None:
        how = "add a use_case: section to boucle.yaml (or `boucle classify --interactive`)"
        return [Fact("intended purpose", None, how=how)]

    def text(label: str, key: str, value: str | list[str] | None, how: str) -> Fact:
        shown = ", ".join(value) if isinstance(value, list) else value
        if not shown:
            return Fact(label, None, how=f"{how}, {_CLASSIFY}")
        return Fact(label, shown, _use_case_source(facts, cite, key))

    from boucle.governance.rules import rule_for

    decisions = [f"{code} ({rule_for(code).ref})" for code in use_case.decisions]
    rows = [
        text("intended purpose (Art. 3(12))", "purpose", use_case.purpose, "set use_case.purpose"),
        text("domain", "domain", use_case.domain, "set use_case.domain"),
        text("decisions the output feeds", "decisions", decisions, "list use_case.decisions"),
        text("users (deployer's staff)", "users", use_case.users, "list use_case.users"),
        text(
            "affected persons",
            "affected_persons",
            use_case.affected_persons,
            "list use_case.affected_persons",
        ),
        text(
            "profiling of natural persons",
            "profiling",
            "yes" if use_case.profiling else "no",
            "set use_case.profiling",
        ),
        text(
            "human oversight (Art. 14)",
            "human_oversight",
            use_case.human_oversight,
            "describe it in use_case.human_oversight",
        ),
        text(
            "transparency notice (Art. 50)",
            "transparency_notice",
            use_case.transparency_notice,
            "describe it in use_case.transparency_notice",
        ),
        text(
            "personal data categories",
            "data_categories",
            use_case.data_categories,
            "list use_case.data_categories",
        ),
    ]
    if use_case.derogation:
        rows.append(
            text(
                "Art. 6(3) derogation claimed",
                "derogation",
                f"{use_case.derogation}: {use_case.derogation_reason}",
                "set use_case.derogation",
            )
        )
    return rows


def classification_blocks(facts: VersionFacts, cite: Citations) -> list[Block]:
    """The recorded risk class, the provisions that triggered it and the classifier's notes."""
    from boucle.governance.classify import risk_label

    recorded = facts.evidence.classification
    if recorded is None:
        return [fact_table([Fact("risk class", None, how="run `boucle classify`")])]
    source = cite(recorded)
    payload = recorded.payload
    risk = payload.get("risk_class")
    label = risk_label(risk) if risk in ("prohibited", "high", "limited", "minimal") else risk
    blocks: list[Block] = [
        fact_table([Fact("risk class (EU AI Act)", f"{label} ({risk})", source)]),
    ]
    triggers = [t for t in payload.get("triggers") or [] if isinstance(t, dict)]
    if triggers:
        blocks.append(
            Table(
                header=("Provision", "Class", "Why"),
                rows=[
                    [str(t.get("ref")), str(t.get("risk_class")), str(t.get("reason"))]
                    for t in triggers
                ],
                caption=f"Provisions that apply. Source: {source}",
            )
        )
    for note in payload.get("notes") or []:
        blocks.append(Text(str(note), "info"))
    return blocks


def checklist_blocks(facts: VersionFacts, cite: Citations) -> list[Block]:
    """The mandatory items of the risk class's policy, found or missing, as of the ledger head."""
    check = facts.check
    rows: list[list[Cell]] = [
        [
            item.label,
            Badge("present", "good") if item.passed else Badge("missing", "bad"),
            item.detail,
            item.fix or None,
        ]
        for item in check.items
    ]
    source = cite.cite_all(list(facts.evidence.events))
    caption = (
        f"{len(check.items)} mandatory item(s) for a {check.risk_label} system "
        f"(policy: {check.policy_source}). Evidence hash {short_hash(facts.evidence.hash)}"
        + (f"; evidence events: {source}" if source else "")
    )
    return [Table(header=("Item", "Status", "Found", "How to get it"), rows=rows, caption=caption)]


def approvals_blocks(facts: VersionFacts, cite: Citations) -> list[Block]:
    """Every approval of the version, and whether it is bound to the current evidence."""
    if not facts.approvals:
        how = "`boucle approve VERSION --role ROLE --by NAME` by the people of governance.roles"
        return [fact_table([Fact("approvals", None, how=how)])]
    rows: list[list[Cell]] = []
    for approval in facts.approvals:
        current = approval.evidence_hash == facts.evidence.hash
        rows.append(
            [
                approval.role,
                approval.by,
                approval.time[:19].replace("T", " "),
                approval.comment or None,
                Badge("current evidence", "good") if current else Badge("stale", "warn"),
                cite(facts.chain[approval.index]),
            ]
        )
    return [
        Table(
            header=("Role", "By", "Time (UTC)", "Comment", "Binds to", "Source"),
            rows=rows,
            caption="Approvals recorded for this version; one bound to older evidence is stale.",
        )
    ]


def _lifecycle_detail(event: LedgerEvent) -> str:
    payload = event.payload
    kind = event.kind
    if kind == "model_registered":
        return f"model digest {short_hash(str(payload.get('model_digest')))}"
    if kind == "alias_set":
        return f"{payload.get('alias')} → v{payload.get('version')}"
    if kind == "model_promoted":
        previous = payload.get("previous_champion")
        return f"champion (was {'v' + str(previous) if previous is not None else 'none'})"
    if kind == "promotion_refused":
        return "missing " + ", ".join(map(str, payload.get("missing") or []))
    if kind == "gate_evaluated":
        verdict = "passed" if payload.get("passed") else "failed"
        return f"gate {verdict} against v{payload.get('champion_version')}"
    if kind == "model_exported":
        parity = payload.get("parity") or {}
        return f"ONNX {short_hash(str(payload.get('onnx_digest')))}, parity " + (
            "passed" if parity.get("passed") else "failed"
        )
    if kind == "model_export_blocked":
        return f"no ONNX form ({payload.get('reason')}): Python serving path"
    if kind == "model_rolled_back":
        moved = f"v{payload.get('from_version')} → v{payload.get('version')}"
        return f"{payload.get('alias')} rolled back {moved}"
    if kind == "package_built":
        return f"package in {payload.get('out')}"
    return ""


def lifecycle_blocks(facts: VersionFacts, cite: Citations) -> list[Block]:
    """The model's versions, aliases, gates, exports and promotions, oldest first."""
    rows: list[list[Cell]] = []
    for event in facts.lifecycle:
        version = event.payload.get("challenger_version", event.payload.get("version"))
        rows.append(
            [
                event.index,
                event.time[:19].replace("T", " "),
                event.kind,
                f"v{version}" if version is not None else None,
                _lifecycle_detail(event),
                short_hash(event.hash),
            ]
        )
        cite(event)
    if not rows:
        return [fact_table([Fact("lifecycle", None, how="`boucle run` registers versions")])]
    return [
        Table(
            header=("#", "Time (UTC)", "Event", "Version", "Detail", "Hash"),
            rows=rows,
            caption=f"Every recorded change of model '{facts.ref.model}'.",
        )
    ]


def versions_facts(facts: VersionFacts, cite: Citations) -> list[Fact]:
    """Model, software and run identifiers of the version."""
    run = facts.run
    train = run.step("train")
    started: dict[str, Any] = run.started.payload if run.started else {}
    run_src = cite(run.started)
    train_src = cite(*run.sources("train"))
    registered = facts.registered
    how = "`boucle run` (the version's run is not in the ledger or the store)"

    def fact(label: str, value: Any, source: str) -> Fact:
        if value is None or value == "":
            return Fact(label, None, how=how)
        return Fact(label, str(value), source)

    params = train.get("best_params")
    return [
        fact("model", f"{facts.ref.model} v{facts.ref.version}", cite(registered)),
        *_wrapped_by(facts, cite),
        fact("aliases now", ", ".join(facts.aliases) or "none", "alias_set events"),
        fact(
            "registered at (UTC)",
            registered.time[:19].replace("T", " ") if registered else None,
            cite(registered),
        ),
        fact("model family", train.get("model"), train_src),
        fact(
            "parameters",
            ", ".join(f"{k}={v}" for k, v in sorted(params.items()))
            if isinstance(params, dict)
            else None,
            train_src,
        ),
        fact(
            "search",
            f"{train.get('trials_completed')} trial(s), metric {train.get('metric')}"
            if train
            else None,
            train_src,
        ),
        fact("model digest (blake3)", facts.ref.model_digest, cite(registered)),
        fact(
            "MLflow run id",
            (registered.payload if registered else {}).get("mlflow_run_id"),
            cite(registered),
        ),
        fact("boucle run id", run.run_id, run_src),
        fact("lineage id", facts.ref.lineage_id, train_src),
        fact("boucle version", started.get("boucle"), run_src),
        fact("Python", started.get("python"), run_src),
        fact("platform", started.get("platform"), run_src),
        fact("configuration blake3", started.get("config_hash"), run_src),
    ]


def _wrapped_by(facts: VersionFacts, cite: Citations) -> list[Fact]:
    """A fair challenger's decision rule: its base model wrapped by per-group thresholds.

    Its model family and parameters (the train step's) are those of the base estimator.
    """
    base = facts.ref.mitigation_of
    if base is None:
        return []
    mitigate = facts.run.step("mitigate")
    constraint = mitigate.get("constraint")
    rule = (
        f"the base model v{base} wrapped by per-group decision thresholds on "
        f"'{mitigate.get('sensitive') or '?'}' (fairlearn ThresholdOptimizer"
        f"{', ' + str(constraint) if constraint else ''}); the model family and parameters "
        "below are the base estimator's"
    )
    return [Fact("decision rule", rule, cite(*facts.run.sources("mitigate")))]


def provenance_section(facts: VersionFacts, cite: Citations) -> Section:
    """The ledger head the document was built from and every event it cites (full hashes)."""
    rows: list[list[Cell]] = [
        [e.index, e.time[:19].replace("T", " "), e.kind, e.actor, e.hash] for e in cite.events
    ]
    return Section(
        "Provenance",
        [
            fact_table(
                [
                    Fact("ledger head hash", facts.head.hash, "`boucle audit verify` prints it"),
                    Fact("ledger events", str(facts.head.count), "hash chain verified: intact"),
                    Fact(
                        "evidence hash of the version",
                        facts.evidence.hash,
                        "what approvals bind to",
                    ),
                ]
            ),
            Table(
                header=("#", "Time (UTC)", "Event", "Actor", "Event hash (blake3)"),
                rows=rows,
                caption=f"The {len(rows)} ledger events this document's facts came from.",
            ),
        ],
        anchor="provenance",
    )
