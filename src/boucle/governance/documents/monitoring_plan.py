"""The post-market monitoring plan (Annex IV items 3 and 9, Art. 72) from the configuration.

What boucle watches once the model is in service is configuration, not history: what is
monitored and at which resolution (``monitor:``), the alert rules, their thresholds and who
they reach (``alerts:``), what triggers a retrain and what follows it (``retrain:``), the
champion/challenger gates (``gates:``), the prediction log and its retention, and the written
plan if any (``governance.monitoring_plan``). What it has watched so far, and so how often,
is in the ledger: the lineage's ``drift_checked``, ``performance_checked`` and
``alert_fired`` events. When the configuration watches drift and performance and alerts a
person, this item is the plan the ``monitoring_plan`` checklist item accepts
(:func:`~boucle.governance.policies.monitoring_coverage`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from boucle.config.paths import is_url
from boucle.governance.documents.facts import Citations, Fact, fact_table, short_hash
from boucle.governance.documents.monitoring_watch import (
    duration_text,
    retrain_blocks,
    sinks_table,
    watch_facts,
)
from boucle.governance.monitoring_coverage import monitoring_coverage
from boucle.ledger.urls import mask_url
from boucle.reports import Block, Cell, Panel, Table, format_number

if TYPE_CHECKING:
    from boucle.config import BoucleConfig
    from boucle.governance.documents.gather import VersionFacts
    from boucle.ledger import LedgerEvent

__all__ = [
    "alert_rules_table",
    "gates_facts",
    "monitoring_plan_blocks",
    "plan_fact",
]

_YAML = "boucle.yaml"


def plan_fact(config: BoucleConfig) -> Fact:
    """The plan document: a URL, or a file next to boucle.yaml named with its blake3."""
    plan = config.governance.monitoring_plan
    how = "write the plan and set governance.monitoring_plan to its path or URL"
    if plan is None:
        if monitoring_coverage(config).complete:
            return Fact(
                "post-market monitoring plan (Art. 72(3))",
                "no separate document: the monitoring configured below is the plan",
                "boucle.yaml alerts, retrain (checklist item monitoring_plan)",
            )
        return Fact("post-market monitoring plan (Art. 72(3))", None, how=how)
    if is_url(plan):
        return Fact("post-market monitoring plan (Art. 72(3))", plan, "governance.monitoring_plan")
    path = config.base_dir / plan
    if not path.is_file():
        return Fact(
            "post-market monitoring plan (Art. 72(3))",
            None,
            how=f"governance.monitoring_plan '{plan}' is missing (looked for {path}): {how}",
        )
    from boucle.hashing import blake3_hex

    digest = blake3_hex(Path(path).read_bytes())
    return Fact(
        "post-market monitoring plan (Art. 72(3))",
        f"{plan} (blake3 {digest})",
        "governance.monitoring_plan",
    )


def alert_rules_table(config: BoucleConfig) -> Block:
    """The alert rules: condition, severity, cooldown, sinks (and each sink's kind)."""
    alerts = config.alerts
    if not alerts.rules:
        return fact_table(
            [Fact("alert rules", None, how="add alerts.rules (e.g. drift.share_drifted > 0.3)")]
        )
    kinds = {name: sink.type for name, sink in alerts.sinks.items()}
    rows: list[list[Cell]] = [
        [
            rule.name,
            rule.when,
            rule.severity,
            duration_text(rule.cooldown),
            ", ".join(f"{s} ({kinds.get(s, 'log')})" for s in rule.sinks),
        ]
        for rule in alerts.rules
    ]
    return Table(
        header=("Rule", "Fires when", "Severity", "Cooldown", "Sinks"),
        rows=rows,
        caption=f"boucle.yaml alerts.rules; each sink is tried {alerts.attempts} time(s) with "
        "backoff, every alert is an alert_fired ledger event.",
    )


def gates_facts(config: BoucleConfig) -> list[Fact]:
    """What a challenger must pass to replace this version (``gates:``)."""
    gates = config.gates
    source = "boucle.yaml gates"
    thresholds = ", ".join(f"{k} {v}" for k, v in sorted(gates.metrics.items()))
    return [
        Fact("compared metric", gates.metric or f"{config.metric} (search metric)", source),
        Fact("metric thresholds", thresholds or "none", source),
        Fact(
            "must beat the champion by",
            f"{format_number(gates.min_improvement)} ({gates.test}, "
            f"{format_number(gates.confidence * 100)}% confidence)",
            source,
        ),
        Fact("largest drop on a slice", format_number(gates.slice_tolerance), source),
        Fact("ONNX parity required", "yes" if gates.require_parity else "no", source),
        Fact("data checks required", "yes" if gates.require_data_checks else "no", source),
    ]


def _coverage_fact(config: BoucleConfig) -> Fact:
    coverage = monitoring_coverage(config)
    label = "configured monitoring as the plan (Art. 72)"
    if not coverage.complete:
        return Fact(label, None, how="add " + "; ".join(coverage.missing))
    return Fact(label, coverage.summary(), f"{_YAML} alerts, retrain")


def _log_fact(config: BoucleConfig) -> Fact:
    from boucle.errors import BoucleError
    from boucle.monitoring import log_dir

    label = "prediction log (Art. 12, 19)"
    try:
        folder = log_dir(config)
    except BoucleError as exc:
        return Fact(label, None, how=exc.hint or "set serve.log_dir in boucle.yaml")
    return Fact(label, f"{folder} (Parquet, one partition per day)", "serve.log_dir / stores.root")


def _event_summary(event: LedgerEvent) -> str:
    payload = event.payload
    if event.kind == "drift_checked":
        share = payload.get("share_drifted")
        drifted = ", ".join(map(str, payload.get("drifted") or [])) or "none"
        return f"{payload.get('rows')} rows, drift share {format_number(share)}: {drifted}"
    if event.kind == "performance_checked":
        measured = payload.get("measured") or {}
        shown = ", ".join(f"{k} {format_number(v)}" for k, v in sorted(measured.items())[:4])
        return f"{payload.get('labelled')} labelled of {payload.get('scored')}: {shown or '—'}"
    if event.kind == "alert_fired":
        sinks = ", ".join(f"{k}: {v}" for k, v in (payload.get("sinks") or {}).items())
        return f"{payload.get('rule')} ({payload.get('severity')}) → {sinks or 'no sink'}"
    if event.kind == "batch_scored":
        return f"{payload.get('rows')} rows scored"
    return ""


def monitoring_plan_blocks(facts: VersionFacts, cite: Citations) -> list[Block]:
    """Item 9: the plan, what is monitored and how often, who is alerted, what triggers a
    retrain, the gates, what is logged and kept, and the checks done so far."""
    config = facts.config
    reference = facts.run.step("reference")
    ref_source = cite(*facts.run.sources("reference"))
    facts_rows = [
        plan_fact(config),
        _coverage_fact(config),
        _log_fact(config),
        Fact(
            "retention of logs and ledger",
            f"{config.governance.retention_days} days",
            "boucle.yaml governance.retention_days",
        ),
        Fact(
            "drift reference (training rows profiled)",
            f"{format_number(reference.get('rows'))} rows, profile "
            f"{short_hash(str(reference.get('reference_digest')))}",
            ref_source,
        )
        if reference
        else Fact("drift reference", None, how="`boucle run` (its reference step)"),
        Fact("audit ledger", mask_url(config.stores.ledger or ""), "stores.ledger (hash-chained)"),
    ]
    checks: list[list[Cell]] = [
        [e.index, e.time[:19].replace("T", " "), e.kind, _event_summary(e), short_hash(e.hash)]
        for e in facts.monitoring
    ]
    for event in facts.monitoring:
        cite(event)
    done: Block = (
        Table(
            header=("#", "Time (UTC)", "Event", "Result", "Hash"),
            rows=checks,
            caption="Monitoring recorded so far for this version.",
        )
        if checks
        else fact_table(
            [
                Fact(
                    "monitoring checks so far",
                    None,
                    how="`boucle monitor` (drift and performance on the serving log) and "
                    "`boucle alerts check`",
                )
            ]
        )
    )
    return [
        fact_table(facts_rows),
        Panel(
            "What is monitored, how and how often",
            [fact_table(watch_facts(config, facts.monitoring))],
        ),
        Panel("Alert rules", [alert_rules_table(config)]),
        Panel("Who is alerted", [sinks_table(config)]),
        Panel("Retraining", retrain_blocks(config)),
        Panel("Champion/challenger gates", [fact_table(gates_facts(config))]),
        Panel("Monitoring done", [done]),
    ]
