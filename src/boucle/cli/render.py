"""Rich rendering of CLI output: run summaries, run lists, ledger events."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from boucle.ledger import LedgerEvent
    from boucle.monitoring import LogMonitoring
    from boucle.runner.session import RunOutcome

__all__ = [
    "console",
    "error_console",
    "print_audit_log",
    "print_export_summary",
    "print_log_monitoring",
    "print_run_summary",
    "print_runs",
]

_HEADLINE = ("roc_auc", "f1", "precision", "recall", "accuracy", "rmse", "mae", "r2")


@cache
def console() -> Console:
    """Console for results (stdout)."""
    import sys

    from rich.console import Console

    # Piped output (CI logs, `| less`) keeps full rows instead of rich's 80-column default.
    return Console(highlight=False, width=None if sys.stdout.isatty() else 160)


@cache
def error_console() -> Console:
    """Console for progress and errors (stderr)."""
    from rich.console import Console

    # soft_wrap: an error is one paragraph; a CI log must not get it cut at column 80.
    return Console(stderr=True, highlight=False, soft_wrap=True)


def _fmt(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def print_run_summary(outcome: RunOutcome, config_path: Path | str) -> None:
    """Summary table of a run and the next commands to try."""
    from rich.table import Table

    steps = outcome.manifest.get("steps", {})
    register = steps.get("register", {}).get("manifest", {})
    train = steps.get("train", {}).get("manifest", {})
    table = Table(title="boucle run", show_header=False, title_justify="left")
    table.add_column("what", style="bold")
    table.add_column("value")
    table.add_row("run id", outcome.run_id)
    table.add_row("lineage id", outcome.lineage_id or "-")
    table.add_row("model", f"{train.get('model')} ({train.get('trials_completed')} trials)")
    for name in _HEADLINE:
        if name in outcome.metrics and outcome.metrics[name] is not None:
            table.add_row(f"test {name}", _fmt(outcome.metrics[name]))
    table.add_row("model version", f"{register.get('model_name')} v{register.get('version')}")
    aliases = ", ".join(register.get("aliases", [])) or "-"
    table.add_row("aliases of this version", aliases)
    table.add_row("champion version", str(register.get("champion_version", "-")))
    export = steps.get("export", {}).get("manifest")
    if export and export.get("blocked_by"):
        table.add_row("ONNX", f"none: {export['reason']}; served through the Python path")
    elif export:
        table.add_row("ONNX parity", _parity_text(export))
    fairness = steps.get("fairness", {}).get("manifest")
    if fairness and "passed" in fairness:
        table.add_row("fairness gate", _fairness_text(fairness))
    statuses = ", ".join(f"{name}: {step['status']}" for name, step in steps.items())
    table.add_row("steps", statuses)
    table.add_row("time", f"{outcome.seconds:.1f}s")
    console().print(table)
    config = Path(config_path)
    tracking = outcome.manifest.get("config", {}).get("stores", {}).get("tracking", "")
    console().print("\nNext:")
    for command in (
        f"mlflow ui --backend-store-uri {tracking}",
        f"boucle runs -c {config}",
        f"boucle show {outcome.run_id} -c {config}",
        f"boucle reproduce {outcome.run_id} -c {config}",
        f"boucle audit verify -c {config}",
    ):
        console().print(f"  {command}")


def _fairness_text(fairness: dict[str, Any]) -> str:
    if fairness.get("measured") is False:
        return f"[yellow]not measured[/]: {fairness.get('unmeasured_reason')}"
    if fairness.get("passed"):
        return "[green]passed[/]"
    failures = list(fairness.get("failures") or [])
    shown = "; ".join(map(str, failures[:2])) + (
        f" (+{len(failures) - 2} more)" if len(failures) > 2 else ""
    )
    return f"[red]failed[/]: {shown}"


def _parity_text(export: dict[str, Any]) -> str:
    parity = export.get("parity", {})
    text = (
        f"max |diff| {parity.get('max_abs_diff', 0):.2e} (tolerance {parity.get('tolerance')}), "
        f"labels agree {100 * float(parity.get('label_agreement') or 0):.2f} %"
    )
    quantization = export.get("quantization")
    if quantization:
        text += f"; int8: {quantization.get('decision')} ({quantization.get('reason')})"
    return text


def print_export_summary(outcome: RunOutcome) -> None:
    """What an export produced: digest, size, parity and quantization decision."""
    export = outcome.steps["export"].manifest
    if export.get("blocked_by"):
        from boucle.errors import ExportError

        raise ExportError(
            f"Version {outcome.manifest.get('model_version')} cannot be exported to ONNX: "
            f"its {export['reason']} (recorded in the ledger as model_export_blocked).",
            hint="`boucle serve` serves it through the flagged Python path "
            "(serve.python_fallback: allow); for ONNX, move the computation into the data "
            "(or drop it from features:) and retrain.",
        )
    console().print(
        f"exported version {outcome.manifest.get('model_version')} "
        f"({outcome.steps['export'].status}): onnx {export['onnx_digest'][:16]}…, "
        f"{export['size_bytes'] / 1024:.0f} KiB"
    )
    console().print(f"parity: {_parity_text(export)}")


def print_runs(rows: list[dict[str, Any]]) -> None:
    """Table of runs, oldest first."""
    from rich.table import Table

    table = Table(title=f"{len(rows)} runs", title_justify="left")
    for column in ("run id", "time", "status", "command", "model", "metric", "version", "steps"):
        table.add_column(column)
    for row in rows:
        metrics = row.get("metrics") or {}
        headline = next((f"{k}={_fmt(metrics[k])}" for k in _HEADLINE if k in metrics), "-")
        statuses = row.get("steps") or {}
        cached = sum(1 for s in statuses.values() if s == "cached")
        table.add_row(
            row["run_id"],
            str(row.get("time", ""))[:19],
            row["status"],
            str(row.get("command", "")),
            str(row.get("model") or "-"),
            headline,
            str(row.get("model_version") or "-"),
            f"{len(statuses)} ({cached} cached)" if statuses else str(row.get("step", "-")),
        )
    console().print(table)


def print_audit_log(events: list[LedgerEvent]) -> None:
    """Table of ledger events."""
    from rich.table import Table

    table = Table(title=f"{len(events)} events", title_justify="left")
    for column in ("#", "time", "kind", "run", "actor", "payload", "hash"):
        table.add_column(column, overflow="fold")
    for event in events:
        payload = ", ".join(f"{k}={v}" for k, v in list(event.payload.items())[:4])
        table.add_row(
            str(event.index),
            event.time[:19],
            event.kind,
            event.run_id or "-",
            event.actor,
            payload[:80],
            event.hash[:12],
        )
    console().print(table)


def print_log_monitoring(result: LogMonitoring) -> None:
    """Summary of ``boucle monitor`` on the serving log: drift, performance, operations."""
    from rich.table import Table

    out = console()
    out.print(
        f"{result.model_name} v{result.version}: {result.rows} logged rows scored by it "
        f"(monitoring run {result.run_id})"
    )
    if result.drift is not None:
        out.print(result.drift.format_table(), markup=False)
        flagged = [w.start[:10] for w in result.timeline if w.report.dataset_drift]
        if result.timeline:
            drifted = ", ".join(flagged) or "none"
            out.print(f"timeline: {len(result.timeline)} windows, drift in: {drifted}")
    overall = result.performance.overall
    table = Table(title=f"performance ({overall.labelled} labelled of {overall.scored} scored)")
    for column in ("metric", "measured", "interval", "estimated"):
        table.add_column(column, justify="left" if column == "metric" else "right")
    for name, metric in overall.measured.items():
        interval = "" if metric.low is None else f"{metric.low:.3f}-{metric.high:.3f}"
        estimate = overall.estimated.get(name)
        table.add_row(
            name,
            "n/a" if metric.value is None else f"{metric.value:.4f}",
            interval,
            "" if estimate is None else f"{estimate:.4f}",
        )
    out.print(table)
    total = next((line for line in result.ops.lines if line.version == "all"), None)
    if total is not None:
        out.print(
            f"operations: {total.requests} requests, p50 {total.p50_ms or 0:.1f} ms, "
            f"p99 {total.p99_ms or 0:.1f} ms, errors {total.errors}"
        )
    out.print(f"report: {result.report_path}")
