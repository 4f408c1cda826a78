"""The Python API: every CLI command is one of these functions.

>>> import boucle
>>> outcome = boucle.run("boucle.yaml")          # doctest: +SKIP
>>> outcome.metrics["roc_auc"]                   # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from boucle.config import BoucleConfig, load_config
from boucle.errors import BoucleError, ConfigError
from boucle.runner.session import (
    RunOutcome,
    open_ledger,
    open_store,
    run_manifest_path,
    run_steps,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from boucle.audit import AuditExport
    from boucle.governance.approvals import Approval
    from boucle.governance.classify import Classification
    from boucle.governance.promote import PromotionCheck
    from boucle.ledger import LedgerEvent, VerifyResult
    from boucle.monitor import DriftReport
    from boucle.monitor.ab import ABReport
    from boucle.monitor.alerts import AlertOutcome, AlertSink
    from boucle.monitoring import LogMonitoring
    from boucle.registry.gates import Gate, GateDecision
    from boucle.runner.graph import Step
    from boucle.runner.hooks import RunHooks

__all__ = [
    "ReproduceOutcome",
    "ab_report",
    "alerts_check",
    "alerts_test",
    "approve",
    "audit_export",
    "audit_log",
    "audit_verify",
    "classify",
    "export",
    "gate",
    "infer_schema",
    "loop_steps",
    "monitor",
    "monitor_log",
    "profile",
    "promote",
    "reproduce",
    "run",
    "runs",
    "show",
]

ConfigLike = BoucleConfig | str | os.PathLike[str]


def _config(config: ConfigLike) -> BoucleConfig:
    return config if isinstance(config, BoucleConfig) else load_config(config)


def run(config: ConfigLike = "boucle.yaml", *, hooks: RunHooks | None = None) -> RunOutcome:
    """Run the loop (snapshot → split → train → evaluate → register), reusing cached steps."""
    from boucle.registry.mlflow_bridge import probe_tracking

    cfg = _config(config)
    probe_tracking(cfg.stores.tracking or "")
    return run_steps(cfg, loop_steps(cfg), hooks=hooks)


def loop_steps(config: BoucleConfig) -> tuple[Step, ...]:
    """The steps ``boucle run`` executes for ``config``, in order.

    The evidence steps (explain, fairness, robustness) run after evaluate and before
    register; fairness applies to classification only. ``mitigate`` (fairness.mitigation)
    follows register; ``skew`` follows export (and only records a skip without export).
    """
    from boucle.runner.evidence_steps import EXPLAIN_STEP, FAIRNESS_STEP, ROBUSTNESS_STEP
    from boucle.runner.export_step import EXPORT_STEP
    from boucle.runner.mitigation_step import MITIGATE_STEP
    from boucle.runner.monitor_step import REFERENCE_STEP
    from boucle.runner.quality_step import QUALITY_STEP
    from boucle.runner.skew_step import SKEW_SKIPPED_STEP, SKEW_STEP
    from boucle.runner.steps import FOUNDATION_STEPS

    quality = (QUALITY_STEP,) if config.quality.enabled else ()
    evidence = (
        *((EXPLAIN_STEP,) if config.explain.enabled else ()),
        *((FAIRNESS_STEP,) if config.fairness.enabled and config.task == "classification" else ()),
        *((ROBUSTNESS_STEP,) if config.robustness.enabled else ()),
    )
    at = [step.name for step in FOUNDATION_STEPS].index("evaluate") + 1
    foundation = (*FOUNDATION_STEPS[:at], *evidence, *FOUNDATION_STEPS[at:])
    # The fair challenger is registered after the model itself, so it never takes an alias
    # the loop's own version should get (challenger, or champion of a new model).
    mitigate = (
        (MITIGATE_STEP,)
        if FAIRNESS_STEP in evidence and config.fairness.mitigation == "threshold_optimizer"
        else ()
    )
    export = (EXPORT_STEP, SKEW_STEP) if config.export.enabled else (SKEW_SKIPPED_STEP,)
    return (*quality, *foundation, *mitigate, *export, REFERENCE_STEP)


def runs(config: ConfigLike = "boucle.yaml") -> list[dict[str, Any]]:
    """Every finished or failed run of the project, oldest first, from the audit ledger."""
    cfg = _config(config)
    with open_ledger(cfg) as ledger:
        events = ledger.events()
    started = {e.run_id: e for e in events if e.kind == "run_started"}
    rows = []
    for event in events:
        if event.kind not in ("run_finished", "run_failed") or event.run_id is None:
            continue
        begin = started.get(event.run_id)
        rows.append(
            {
                "run_id": event.run_id,
                "time": begin.time if begin else event.time,
                "status": "finished" if event.kind == "run_finished" else "failed",
                "lineage_id": event.lineage_id,
                **event.payload,
            }
        )
    return rows


def show(run_id: str, config: ConfigLike = "boucle.yaml") -> dict[str, Any]:
    """The manifest of one run (a unique prefix of the id is enough)."""
    cfg = _config(config)
    full_id = _resolve_run_id(cfg, run_id)
    data = open_store(cfg).read_bytes(run_manifest_path(full_id))
    manifest: dict[str, Any] = json.loads(data)
    return manifest


@dataclass(frozen=True)
class ReproduceOutcome:
    """Result of re-running a past run from its own snapshot and configuration."""

    original_run_id: str
    run: RunOutcome
    identical: bool
    differences: dict[str, tuple[Any, Any]]


def reproduce(
    run_id: str, config: ConfigLike = "boucle.yaml", *, hooks: RunHooks | None = None
) -> ReproduceOutcome:
    """Re-run ``run_id`` from its stored snapshot and config; check the metrics are identical.

    The live data file is not read: the snapshot comes from the store (hash verified). The
    search runs exactly as many trials as the original completed, without a time limit.
    """
    from boucle.runner.steps import FOUNDATION_STEPS

    cfg = _config(config)
    original = show(run_id, cfg)
    if original.get("status") != "finished":
        raise BoucleError(
            f"run '{original['run_id']}' did not finish (status {original.get('status')!r}); "
            "there is nothing to reproduce.",
            hint="Pick a finished run from `boucle runs`.",
        )
    past = BoucleConfig.model_validate(original["config"])
    past._path = cfg.path
    steps = original["steps"]
    chain = [_replayed("snapshot", steps["snapshot"]["manifest"])]
    chain += [s for s in FOUNDATION_STEPS if s.name in ("validate", "split", "train", "evaluate")]
    trials = steps["train"]["manifest"]["trials_completed"]
    outcome = run_steps(
        past,
        chain,
        hooks=hooks,
        force=frozenset({"snapshot", "validate", "split", "train", "evaluate"}),
        overrides={"trials": trials, "timeout_s": None},
        command="reproduce",
        extra={"reproduces": original["run_id"]},
    )
    before = steps["evaluate"]["manifest"]["metrics"]
    after = outcome.metrics
    differences = {
        name: (before.get(name), after.get(name))
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    }
    with open_ledger(past) as ledger:
        ledger.append(
            "run_reproduced",
            {
                "of": original["run_id"],
                "identical": not differences,
                "differences": {k: list(v) for k, v in differences.items()},
            },
            run_id=outcome.run_id,
            lineage_id=outcome.lineage_id,
        )
    return ReproduceOutcome(original["run_id"], outcome, not differences, differences)


def export(
    ref: str = "champion", config: ConfigLike = "boucle.yaml", *, hooks: RunHooks | None = None
) -> RunOutcome:
    """Export a registered version (alias, number or ``name@alias``) to ONNX with its parity check.

    The version's own run supplies the pipeline and the held-out split (from the store, hash
    verified); a version already exported with the same settings is a cache hit.
    """
    from boucle.registry import resolve_version
    from boucle.runner.export_step import EXPORT_STEP
    from boucle.runner.mitigation_onnx import refuse_fair_export

    cfg = _config(config)
    info = resolve_version(cfg.stores.tracking or "", cfg.project, ref)
    refuse_fair_export(info)  # its run's export step would convert the base pipeline
    original = show(info.boucle_run_id, cfg) if info.boucle_run_id else {}
    steps = original.get("steps", {})
    needed = ("snapshot", "validate", "split", "train", "evaluate", "register")
    if any(name not in steps for name in needed):
        raise BoucleError(
            f"version {info.version} of '{info.model_name}' was not trained by a boucle run "
            f"this project knows (run id tag {info.boucle_run_id!r}).",
            hint="Export a version registered by `boucle run` in this project.",
        )
    chain = [_replayed(name, steps[name]["manifest"]) for name in needed]
    return run_steps(
        cfg,
        [*chain, EXPORT_STEP],
        hooks=hooks,
        command="export",
        extra={"model_version": info.version, "ref": ref},
    )


def _replayed(name: str, manifest: dict[str, Any]) -> Step:
    """A step that hands on the manifest a past run produced (its objects are in the store)."""
    from boucle.runner.graph import Step

    def replay(ctx: Any) -> dict[str, Any]:
        missing = [d for d in manifest.get("artifacts", []) if not ctx.store.exists(d)]
        if missing:
            raise BoucleError(
                f"the {name} output of that run is no longer in the artifact store "
                f"(missing {missing[0]}).",
                hint="Restore stores.root from a backup, or retrain with `boucle run`.",
            )
        return dict(manifest)

    return Step(name, replay, config=lambda c: {}, code=("runner/graph",))


def profile(config: ConfigLike = "boucle.yaml", *, hooks: RunHooks | None = None) -> Path | str:
    """Run snapshot → validate → profile (cached) and return where the HTML report is.

    The report lives at ``reports/profile.html`` under ``stores.root`` (a local path, or the
    URL of a remote store).
    """
    from boucle.runner.profile_step import PROFILE_REPORT
    from boucle.runner.steps import FOUNDATION_STEPS

    cfg = _config(config)
    steps = [s for s in FOUNDATION_STEPS if s.name in ("snapshot", "validate", "profile")]
    run_steps(cfg, steps, hooks=hooks, command="profile")
    root = cfg.stores.root
    return f"{root}/{PROFILE_REPORT}" if "://" in root else Path(root) / PROFILE_REPORT


def infer_schema(config: ConfigLike = "boucle.yaml", *, overwrite: bool = False) -> Path:
    """Infer the data schema from the current source and write it to ``data.checks.schema.path``.

    The file is a pandera YAML schema the user edits (ranges, allowed categories, nullable);
    later runs validate every snapshot against it. An existing file is kept unless
    ``overwrite``.
    """
    from boucle.data import read_table
    from boucle.data.validate import infer_schema as infer
    from boucle.data.validate import save_schema
    from boucle.runner.validate_step import schema_path

    cfg = _config(config)
    path = schema_path(cfg)
    if path is None:
        raise ConfigError(
            "data.checks.schema.path is null: there is no schema file to write.",
            hint="Set data.checks.schema.path (default schema.yaml) in boucle.yaml.",
        )
    if path.exists() and not overwrite:
        raise ConfigError(
            f"schema file '{path}' already exists; it was not overwritten.",
            hint="Edit it, or pass --overwrite to infer it again from the data.",
        )
    frame = read_table(cfg.data.source, cfg.data.read, storage_options=cfg.stores.storage_options)
    return save_schema(infer(frame, target=cfg.data.target), path)


def monitor(
    current: str | os.PathLike[str],
    config: ConfigLike = "boucle.yaml",
    *,
    ref: str = "champion",
    alpha: float | None = None,
    alerts: bool = True,
    dask: bool | None = None,
    workers: int | None = None,
) -> tuple[str, DriftReport]:
    """Check a window of production data for drift against a version's reference.

    ``current`` is a CSV/Parquet file, or a folder (``date=...`` partitions too) or glob of
    Parquet files, streamed file by file, or scanned on a local Dask cluster with ``dask``
    (``workers`` threads). ``alpha``, ``dask`` and ``workers`` default to the ``monitor:``
    section, whose ``drift_tests`` add plug-in drift tests.
    The reference profile was stored by that version's run (training rows, never re-read).
    Returns the monitoring run id and the report; both land in the store and the ledger.
    With ``alerts`` the ``alerts.rules`` on ``drift.*`` values are evaluated and fired
    (``alert_fired`` events); a failing sink is recorded, never raised.
    """
    from boucle.data import read_table
    from boucle.errors import DataError
    from boucle.monitor.distributed import parquet_source
    from boucle.registry import resolve_version
    from boucle.runner.context import RunContext
    from boucle.runner.monitor_step import check_drift

    cfg = _config(config)
    alpha = cfg.monitor.alpha if alpha is None else alpha
    dask = cfg.monitor.dask if dask is None else dask
    workers = cfg.monitor.workers if workers is None else workers
    info = resolve_version(cfg.stores.tracking or "", cfg.project, ref)
    steps = show(info.boucle_run_id, cfg).get("steps", {}) if info.boucle_run_id else {}
    if "reference" not in steps:
        raise BoucleError(
            f"version {info.version} of '{info.model_name}' has no stored reference profile.",
            hint="Run `boucle run` (the reference step profiles the training rows).",
        )
    location = str(current)
    frame: Any
    if dask or Path(location).is_dir() or any(c in location for c in "*?["):
        frame = parquet_source(location)
    else:
        try:
            frame = read_table(location, {}, storage_options=cfg.stores.storage_options)
        except DataError as exc:
            if "has no rows" not in exc.message:
                raise
            raise DataError(
                f"the current window {exc.message.removeprefix('data source ')}",
                hint="Give --current a file with the production rows to compare (an empty "
                "window has nothing to test), or monitor a longer period.",
            ) from exc
    with open_ledger(cfg) as ledger:
        ctx = RunContext(config=cfg, store=open_store(cfg), ledger=ledger)
        ctx.lineage_id = info.tags.get("boucle.lineage_id") or None
        report = check_drift(
            ctx, steps["reference"]["manifest"], frame, alpha=alpha, dask=dask, workers=workers
        )
        if alerts and cfg.alerts.rules:
            from boucle.monitor.alerts import drift_values, fire_configured_alerts

            fire_configured_alerts(
                cfg,
                {"drift": drift_values(report.to_dict())},
                ledger=ledger,
                run_id=ctx.run_id,
                lineage_id=ctx.lineage_id,
                context={"model": info.model_name, "version": info.version, "source": location},
                namespaces={"drift"},
            )
    return ctx.run_id, report


def audit_verify(
    config: ConfigLike = "boucle.yaml", anchors: Mapping[int, str] | None = None
) -> VerifyResult:
    """Recompute the audit ledger's hash chain; the result names the first bad index.

    ``anchors`` ({index: hash}, see :func:`boucle.ledger.anchors.read_anchor`) are events the
    ledger must still hold: they reveal a deleted tail, which the chain alone cannot.
    """
    with open_ledger(_config(config)) as ledger:
        return ledger.verify(anchors)


def audit_log(
    config: ConfigLike = "boucle.yaml",
    *,
    run_id: str | None = None,
    lineage_id: str | None = None,
    kinds: Sequence[str] = (),
) -> list[LedgerEvent]:
    """Ledger events, oldest first, narrowed by every filter given.

    ``run_id`` keeps one run's events (an id prefix is enough); ``lineage_id`` keeps a
    lineage's events as its audit bundle holds them (see
    :func:`boucle.ledger.bundle.collect_lineage`); ``kinds`` keeps the events of those kinds
    (``["fairness_mitigated"]``). A kind that never occurs simply matches nothing.
    """
    if isinstance(kinds, str):  # kinds="alias_set" means one kind, not its letters
        kinds = (kinds,)
    cfg = _config(config)
    full_id = _resolve_run_id(cfg, run_id) if run_id else None
    with open_ledger(cfg) as ledger:
        # One kind and no lineage: let the database filter. A lineage is collected from all
        # its events first (its runs are known by their tagged events), then kinds apply.
        single = kinds[0] if len(kinds) == 1 and lineage_id is None else None
        events = ledger.events(run_id=full_id, kind=single)
    if lineage_id is not None:
        from boucle.ledger.bundle import collect_lineage

        events = collect_lineage(events, lineage_id).events
    wanted = set(kinds)
    return [e for e in events if not wanted or e.kind in wanted]


def _resolve_run_id(cfg: BoucleConfig, run_id: str) -> str:
    known = [str(row["run_id"]) for row in runs(cfg)]
    matches = sorted({r for r in known if r.startswith(run_id)})
    if len(matches) == 1:
        return matches[0]
    if not matches:
        shown = ", ".join(known[-5:]) or "none yet"
        raise ConfigError(
            f"no run '{run_id}' in {cfg.stores.ledger}. Latest runs: {shown}.",
            hint="List the runs with `boucle runs`.",
        )
    raise ConfigError(
        f"run id prefix '{run_id}' matches {len(matches)} runs: {', '.join(matches[:5])}.",
        hint="Give more characters of the id.",
    )


def gate(
    challenger: str = "challenger",
    config: ConfigLike = "boucle.yaml",
    *,
    against: str = "champion",
    recent: str | os.PathLike[str] | None = None,
    extra_gates: Sequence[Gate] = (),
) -> GateDecision:
    """Evaluate the ``gates:`` of boucle.yaml for ``challenger`` against ``against``.

    Both versions are scored on the challenger's held-out rows (plus ``recent`` labelled
    rows, CSV or Parquet, when given). The decision, with every number, is recorded as a
    ``gate_evaluated`` ledger event; ``decision.passed`` says whether every check passed.
    """
    from boucle.registry.gates_run import run_gates

    return run_gates(
        _config(config), challenger, against=against, recent=recent, extra_gates=extra_gates
    )


def alerts_check(
    values: str | os.PathLike[str] | Mapping[str, Any],
    config: ConfigLike = "boucle.yaml",
    *,
    fire: bool = True,
    extra_sinks: Mapping[str, AlertSink] | None = None,
) -> list[AlertOutcome]:
    """Evaluate ``alerts.rules`` on monitored values (a JSON file, a drift report, or a dict).

    With ``fire`` the rules that trigger and are not cooling down are sent to their sinks and
    recorded as ``alert_fired`` events; without it nothing is sent nor recorded (a dry run).
    """
    from collections.abc import Mapping

    from boucle.monitor.alerts import (
        AlertRule,
        evaluate_rules,
        fire_configured_alerts,
        load_values,
        normalise_values,
    )

    cfg = _config(config)
    document = (
        normalise_values(values) if isinstance(values, Mapping) else load_values(Path(values))
    )
    if not fire:
        return evaluate_rules([AlertRule.from_config(r) for r in cfg.alerts.rules], document)
    with open_ledger(cfg) as ledger:
        return fire_configured_alerts(cfg, document, ledger=ledger, extra_sinks=extra_sinks)


def alerts_test(
    sink: str,
    config: ConfigLike = "boucle.yaml",
    *,
    extra_sinks: Mapping[str, AlertSink] | None = None,
) -> AlertOutcome:
    """Send a test alert to the sink named ``sink`` (with retries); record it in the ledger."""
    from boucle.monitor.alerts import send_test_alert

    cfg = _config(config)
    with open_ledger(cfg) as ledger:
        return send_test_alert(cfg, sink, ledger=ledger, extra_sinks=extra_sinks)


def classify(config: ConfigLike = "boucle.yaml") -> Classification:
    """Classify the project's ``use_case`` under the EU AI Act and record it in the ledger."""
    from boucle.governance.classify import classify_project

    classification, _ = classify_project(_config(config))
    return classification


def approve(
    version: str, config: ConfigLike = "boucle.yaml", *, role: str, by: str, comment: str = ""
) -> Approval:
    """Record ``by``'s approval of a version as ``role`` (bound to its current evidence)."""
    from boucle.governance.approvals import approve_version

    approval, _ = approve_version(_config(config), version, role=role, by=by, comment=comment)
    return approval


def promote(
    version: str, config: ConfigLike = "boucle.yaml", *, dry_run: bool = False
) -> PromotionCheck:
    """Make ``version`` champion if its risk class's policy is met; otherwise raise the list."""
    from boucle.governance.promote import promote_version

    return promote_version(_config(config), version, dry_run=dry_run)


def audit_export(
    out: str | os.PathLike[str],
    config: ConfigLike = "boucle.yaml",
    *,
    lineage: str | None = None,
    ref: str = "champion",
) -> AuditExport:
    """Write one lineage's audit bundle (events, run manifests, artifacts) to ``out``."""
    from boucle.audit import export_lineage, lineage_of_version

    cfg = _config(config)
    return export_lineage(cfg, lineage or lineage_of_version(cfg, ref), Path(out))


def monitor_log(
    config: ConfigLike = "boucle.yaml",
    *,
    ref: str = "champion",
    since: str | None = None,
    window: str | None = None,
    every: str | None = None,
    alpha: float | None = None,
    html: str | os.PathLike[str] | None = None,
    dask: bool | None = None,
    workers: int | None = None,
) -> LogMonitoring:
    """Monitor the serving log: drift of logged inputs, performance from feedback, operations.

    ``every`` (timeline step), ``alpha``, ``dask`` and ``workers`` default to the ``monitor:``
    section of boucle.yaml.
    """
    from boucle.monitoring import monitor_log as run_monitoring
    from boucle.monitoring import parse_window

    return run_monitoring(
        _config(config),
        ref=ref,
        start=parse_window(window, since),
        window=every,
        alpha=alpha,
        html=None if html is None else Path(html),
        dask=dask,
        workers=workers,
    )


def ab_report(
    config: ConfigLike = "boucle.yaml",
    *,
    a: str = "champion",
    b: str = "challenger",
    metric: str = "accuracy",
    min_difference: float = 0.01,
    since: str | None = None,
    window: str | None = None,
) -> ABReport:
    """Compare two serving routes on the labelled records of the prediction log."""
    from boucle.monitoring import ab_analysis, parse_window

    return ab_analysis(
        _config(config),
        a=a,
        b=b,
        metric=metric,
        min_difference=min_difference,
        start=parse_window(window, since),
    )
