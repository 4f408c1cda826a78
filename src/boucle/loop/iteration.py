"""One turn of the closed loop: monitor → rules → retrain → gates → promote or keep → notify.

The champion's traffic since it took office is monitored (drift, performance from the
feedback, operations: :func:`boucle.monitoring.monitor_log`); ``alerts.rules`` fire on those
values; ``retrain.rules`` decide whether to retrain. A retrain builds its rows from
``data.source`` and the labelled records (:mod:`boucle.loop.window`), runs the whole pipeline
on them (:func:`boucle.api.run` with a config override), and the new version — the
challenger — meets the gates on the rows set aside for them. If it passes and the risk
policy allows, it is promoted; otherwise the champion stays. The decision is told to the
``retrain.notify`` sinks and recorded as one ``loop_iteration`` ledger event under the
champion's lineage id, so ``boucle audit log --lineage`` tells the story.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from boucle.errors import BoucleError, ConfigError, TrackingError
from boucle.loop.result import LoopIteration, Progress
from boucle.loop.rules import evaluate_retrain_rules, loop_values

if TYPE_CHECKING:
    from boucle.config import BoucleConfig
    from boucle.ledger import Ledger
    from boucle.monitor.alerts import AlertSink
    from boucle.registry import ModelVersionInfo
    from boucle.runner.hooks import RunHooks

__all__ = ["run_iteration"]


def run_iteration(
    config: BoucleConfig,
    *,
    dry_run: bool = False,
    on_progress: Progress | None = None,
    hooks: RunHooks | None = None,
    extra_sinks: Mapping[str, AlertSink] | None = None,
) -> LoopIteration:
    """Run one iteration of the closed loop for ``config`` and return what it decided.

    Holds the loop lock (:func:`boucle.loop.lock.loop_lock`) throughout. With ``dry_run``
    the monitoring runs (and records its own events, as ``boucle monitor`` does) and the
    rules are evaluated, but nothing is trained, sent or recorded, and no lock is taken.
    ``on_progress`` receives one line per stage; ``hooks`` go to the retrain's run.
    """
    from boucle.loop.lock import loop_lock
    from boucle.monitor.alerts import configured_sinks

    sinks = configured_sinks(config, extra_sinks)
    unknown = [name for name in config.retrain.notify if name not in sinks]
    if unknown:
        raise ConfigError(
            f"retrain.notify names the sink(s) {', '.join(unknown)}, which are not defined "
            f"(defined: {', '.join(sorted(sinks))}).",
            hint="Define them under alerts.sinks in boucle.yaml, or fix the names.",
        )
    say = on_progress or (lambda _line: None)
    if dry_run:
        return _iterate(config, dry_run=True, say=say, hooks=hooks, extra_sinks=extra_sinks)
    with loop_lock(config):
        return _iterate(config, dry_run=False, say=say, hooks=hooks, extra_sinks=extra_sinks)


def _iterate(
    config: BoucleConfig,
    *,
    dry_run: bool,
    say: Progress,
    hooks: RunHooks | None,
    extra_sinks: Mapping[str, AlertSink] | None,
) -> LoopIteration:
    from boucle.loop.notify import fire_alerts, notify
    from boucle.loop.retrain import retrain
    from boucle.loop.window import read_served
    from boucle.monitoring import monitor_log
    from boucle.runner.context import new_run_id
    from boucle.runner.session import open_ledger

    now = datetime.now(UTC)
    champion = _champion(config)
    version = int(champion.version)
    with open_ledger(config) as ledger:
        took_office = _champion_since(ledger, config.project, champion.version)
        last_retrain = _last_retrain(ledger, config.project)
    lookback = config.retrain.lookback
    start = max(
        (t for t in (took_office, None if lookback is None else now - timedelta(seconds=lookback))
         if t is not None),
        default=None,
    )  # fmt: skip
    records = read_served(config)
    monitoring = None
    if records is not None and records.scored_since(start) > 0:
        say(f"monitoring v{version}'s traffic since {_when(start)}")
        monitoring = monitor_log(
            config,
            ref=str(version),
            start=start,
            window=config.retrain.timeline,
            alpha=config.retrain.alpha,
            alerts=False,  # the loop fires the rules itself, on its own values
        )
    labels = {
        "new": 0 if records is None else records.labelled_since(last_retrain),
        "total": 0 if records is None else len(records.labelled),
    }
    since = last_retrain or took_office
    values = loop_values(
        monitoring,
        baseline=_held_out_metrics(config, champion),
        labels=labels,
        hours_since_retrain=None if since is None else (now - since).total_seconds() / 3600,
    )
    rules = tuple(evaluate_retrain_rules(config.retrain.rules, values))
    iteration = LoopIteration(
        iteration_id=new_run_id(),
        started_at=now.isoformat(),
        model=champion.model_name,
        champion_version=version,
        champion_lineage=champion.tags.get("boucle.lineage_id") or None,
        decision="no_traffic" if monitoring is None else "no_retrain",
        rules=rules,
        values=values,
        dry_run=dry_run,
        monitoring_run_id=None if monitoring is None else monitoring.run_id,
    )
    fired = iteration.fired_rules
    if fired:
        say(f"retrain rules fired: {', '.join(fired)}")
    if not dry_run and monitoring is not None and config.alerts.rules:
        iteration = fire_alerts(config, iteration, extra_sinks)
    minimum = config.retrain.min_new_labels
    if not fired:
        pass
    elif labels["new"] < minimum:
        iteration = replace(
            iteration,
            decision="waiting_for_labels",
            reasons=(
                f"{labels['new']} labelled record(s) since the last retrain "
                f"({_when(last_retrain)}); retrain.min_new_labels is {minimum}",
            ),
        )
    elif dry_run:
        iteration = replace(iteration, decision="would_retrain")
    else:
        iteration = retrain(config, iteration, records, say=say, hooks=hooks)
    if dry_run:
        return iteration
    if iteration.retrained or iteration.decision == "retrain_failed":
        iteration = notify(config, iteration, extra_sinks)
    with open_ledger(config) as ledger:
        event = ledger.append(
            "loop_iteration",
            iteration.payload(),
            run_id=iteration.iteration_id,
            lineage_id=iteration.champion_lineage,
        )
    return replace(iteration, event_index=event.index)


def _champion(config: BoucleConfig) -> ModelVersionInfo:
    from boucle.registry import resolve_version

    try:
        return resolve_version(config.stores.tracking or "", config.project, "champion")
    except TrackingError as exc:
        raise TrackingError(
            f"model '{config.project}' has no champion yet: the loop has nothing to monitor.",
            hint="Run `boucle run` first (the first version becomes champion), then serve it.",
        ) from exc


def _champion_since(ledger: Ledger, model: str, version: str) -> datetime | None:
    """When ``version`` last became champion (its latest ``alias_set`` champion event)."""
    moments = [
        datetime.fromisoformat(event.time)
        for event in ledger.events(kind="alias_set")
        if event.payload.get("alias") == "champion"
        and event.payload.get("model") == model
        and str(event.payload.get("version")) == version
    ]
    return max(moments, default=None)


def _last_retrain(ledger: Ledger, model: str) -> datetime | None:
    """When the loop last retrained ``model`` (its latest ``loop_iteration`` that did)."""
    moments = [
        # The log was read when the iteration began: later records are new to the next one.
        datetime.fromisoformat(event.payload.get("started_at") or event.time)
        for event in ledger.events(kind="loop_iteration")
        if event.payload.get("model") == model and event.payload.get("retrained")
    ]
    return max(moments, default=None)


def _held_out_metrics(config: BoucleConfig, champion: ModelVersionInfo) -> dict[str, Any]:
    """The champion's held-out metrics (its run's evaluate step); {} when unreadable."""
    from boucle.runner.session import open_store, run_manifest_path

    if not champion.boucle_run_id:
        return {}
    try:
        manifest = json.loads(open_store(config).read_bytes(run_manifest_path(
            champion.boucle_run_id)))  # fmt: skip
        metrics: dict[str, Any] = manifest["steps"]["evaluate"]["manifest"]["metrics"]
    except (BoucleError, KeyError, TypeError, ValueError):
        return {}
    return metrics


def _when(moment: datetime | None) -> str:
    return "the beginning" if moment is None else moment.isoformat(timespec="seconds")
