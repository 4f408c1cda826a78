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

from collections.abc import Sequence
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from statistics import median
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from boucle.config.paths import is_url
from boucle.governance.documents.facts import Citations, Fact, fact_table, short_hash
from boucle.governance.policies import monitoring_coverage
from boucle.ledger.urls import mask_url
from boucle.reports import Block, Cell, Panel, Table, format_number

if TYPE_CHECKING:
    from boucle.config import BoucleConfig
    from boucle.governance.documents.gather import VersionFacts
    from boucle.ledger import LedgerEvent

__all__ = [
    "alert_rules_table",
    "check_cadence",
    "gates_facts",
    "monitoring_plan_blocks",
    "plan_fact",
    "retrain_blocks",
    "sinks_table",
    "watch_facts",
]

_YAML = "boucle.yaml"
# The statistics of boucle.monitor.drift (calibration.histogram_statistics and the
# multivariate check); plug-in tests of monitor.drift_tests come on top.
_BUILT_IN_TESTS = (
    "numeric: Kolmogorov-Smirnov, Wasserstein, PSI; categorical: chi-square, "
    "Jensen-Shannon, PSI; missing share and unseen categories; a domain classifier on "
    "all features together"
)
_PERFORMANCE = {
    "classification": "accuracy, precision, recall, F1, ROC AUC",
    "regression": "RMSE, MAE",
}


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
            _duration(rule.cooldown),
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


def _duration(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{format_number(seconds)}s"


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


def sinks_table(config: BoucleConfig) -> Block:
    """Who the alerts reach: each sink used by a rule or ``retrain.notify``, and its target."""
    used = dict.fromkeys(
        [s for rule in config.alerts.rules for s in rule.sinks] + list(config.retrain.notify)
    )
    rows: list[list[Cell]] = []
    for name in used:
        sink = config.alerts.sinks.get(name)
        kind = "log" if sink is None else sink.type
        rows.append([name, kind, _sink_target(sink)])
    return Table(
        header=("Sink", "Kind", "Reaches"),
        rows=rows,
        caption="boucle.yaml alerts.sinks (secrets are read from the environment when sent).",
    )


def _sink_target(sink: object) -> str:
    from boucle.config.operate import SmtpSinkConfig, WebhookSinkConfig

    if sink is None:
        return "the process log of the boucle command (stderr)"
    if isinstance(sink, SmtpSinkConfig):
        return "e-mail to " + ", ".join(sink.to)
    if isinstance(sink, WebhookSinkConfig):
        if sink.url_env is not None:
            return f"JSON POST to the URL in ${sink.url_env}"
        return f"JSON POST to {urlsplit(sink.url or '').hostname}"
    logger = getattr(sink, "logger", None)
    return f"Python logger {logger}" if logger else f"plug-in {getattr(sink, 'type', '?')}"


def watch_facts(config: BoucleConfig, monitoring: Sequence[LedgerEvent] = ()) -> list[Fact]:
    """What ``boucle monitor`` and ``boucle loop`` watch, with which tests and thresholds.

    ``monitoring``: the version's monitoring events, which say how often checks ran.
    """
    monitor = config.monitor
    source = f"{_YAML} monitor"
    plugins = ", ".join(monitor.drift_tests)
    return [
        Fact(
            "input drift",
            f"every feature of the prediction log against the training reference: "
            f"{_BUILT_IN_TESTS}{'; plug-ins: ' + plugins if plugins else ''}",
            f"{source}.drift_tests (built-in tests always run)",
        ),
        Fact(
            "drift threshold",
            f"false discovery rate {format_number(monitor.alpha)} across features "
            f"(Benjamini-Hochberg); the loop uses {format_number(config.retrain.alpha)}",
            f"{source}.alpha, retrain.alpha",
        ),
        Fact(
            "performance",
            f"{_PERFORMANCE.get(config.task, config.task)} on the logged predictions whose "
            "outcome came back through POST /feedback, and the drop against the held-out score",
            "boucle.monitoring (labels joined from the feedback log)",
        ),
        Fact(
            "timeline resolution",
            f"{monitor.timeline} (boucle monitor), {config.retrain.timeline} (boucle loop)",
            f"{source}.timeline, retrain.timeline",
        ),
        Fact(
            "window watched by the loop",
            "since the champion took office"
            + (
                f", at most the last {_duration(config.retrain.lookback)}"
                if config.retrain.lookback
                else ""
            ),
            f"{_YAML} retrain.lookback",
        ),
        Fact(
            "partitions scanned",
            f"on a local Dask cluster ({monitor.workers or 'one worker per core'})"
            if monitor.dask
            else "in this process, one partition (day) at a time",
            f"{source}.dask",
        ),
        _cadence_fact(monitoring),
    ]


def _cadence_fact(monitoring: Sequence[LedgerEvent]) -> Fact:
    """How often monitoring ran for this version, read from its ledger events."""
    label = "how often checks ran"
    # One monitoring run records drift_checked and performance_checked: count runs.
    runs: dict[str, datetime] = {}
    for event in monitoring:
        if event.kind in ("drift_checked", "performance_checked"):
            runs.setdefault(event.run_id or f"#{event.index}", datetime.fromisoformat(event.time))
    if len(runs) < 2:
        recorded = "one monitoring run" if runs else "no monitoring run"
        return Fact(
            label,
            None,
            how=f"{recorded} recorded so far; schedule `boucle loop --every 1d` (or `boucle "
            "monitor` then `boucle alerts check` from a scheduler)",
        )
    return Fact(
        label,
        check_cadence(list(runs.values())),
        "ledger drift_checked / performance_checked events of this version",
    )


def check_cadence(times: Sequence[datetime]) -> str:
    """``N checks from DAY to DAY, typically every 1d``: the median gap, to the minute."""
    ordered = sorted(times)
    gaps = [(b - a).total_seconds() for a, b in pairwise(ordered)]
    typical = _duration(max(60.0, round(median(gaps) / 60) * 60)) if gaps else "—"
    return (
        f"{len(ordered)} checks from {ordered[0]:%Y-%m-%d} to {ordered[-1]:%Y-%m-%d}, "
        f"typically every {typical}"
    )


def retrain_blocks(config: BoucleConfig) -> list[Block]:
    """What triggers a retrain in ``boucle loop``, on which rows, and what follows it."""
    retrain = config.retrain
    declared = "retrain" in config.model_fields_set
    source = f"{_YAML} retrain" if declared else "shipped defaults (no retrain: in boucle.yaml)"
    rules = Table(
        header=("Rule", "Retrain when"),
        rows=[[rule.name, rule.when] for rule in retrain.rules],
        caption=f"{source}; a fired rule retrains once at least {retrain.min_new_labels} "
        "labelled records arrived since the last retrain. They act when `boucle loop` runs.",
    )
    window = retrain.window
    sizes = {
        "all": "data.source and every labelled serving record",
        "sliding": f"the newest {window.size} rows of data.source, then the labelled records",
        "reference_plus_recent": (
            f"{window.reference_rows} rows sampled from data.source"
            if window.reference_rows
            else "every row of data.source"
        )
        + (
            f" and the newest {window.recent_rows} labelled records"
            if window.recent_rows
            else " and every labelled record"
        ),
    }
    after = (
        "promoted when it passes the gates and the promotion policy of the risk class"
        if retrain.promote
        else "left as challenger for a person to promote (`boucle promote`)"
    )
    facts = [
        Fact("training window", f"{window.mode}: {sizes[window.mode]}", f"{source}.window"),
        Fact(
            "gate rows",
            f"{format_number(retrain.gate_holdout * 100)}% of the labelled records, never "
            "trained on",
            f"{source}.gate_holdout",
        ),
        Fact("retrained model", after, f"{source}.promote"),
        Fact("told of every decision", ", ".join(retrain.notify), f"{source}.notify"),
    ]
    return [rules, fact_table(facts)]


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
