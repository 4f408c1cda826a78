"""What the configuration watches in service: tests, thresholds, cadence, sinks, retraining.

The descriptive half of the post-market monitoring plan (Annex IV item 9, Art. 72): each
function writes out one part of ``monitor:``, ``alerts.sinks`` or ``retrain:`` of boucle.yaml
as facts or tables, citing the key it comes from; how often checks ran is read from the
version's monitoring events. :mod:`boucle.governance.documents.monitoring_plan` assembles them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from itertools import pairwise
from statistics import median
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from boucle.governance.documents.facts import Fact, fact_table
from boucle.reports import Block, Cell, Table, format_number

if TYPE_CHECKING:
    from boucle.config import BoucleConfig
    from boucle.ledger import LedgerEvent

__all__ = ["check_cadence", "duration_text", "retrain_blocks", "sinks_table", "watch_facts"]

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
    from boucle.config.alert_sinks import SmtpSinkConfig, WebhookSinkConfig

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
                f", at most the last {duration_text(config.retrain.lookback)}"
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
    typical = duration_text(max(60.0, round(median(gaps) / 60) * 60)) if gaps else "—"
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


def duration_text(seconds: float) -> str:
    """``1d``, ``6h``, ``15m`` when exact, else seconds."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{format_number(seconds)}s"
