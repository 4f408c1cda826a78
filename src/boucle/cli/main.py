"""``boucle`` commands. Each one parses options, calls the API and prints the result.

Only typer and rich are imported at module level, so ``boucle --help`` stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from boucle.cli.common import ConfigOption, JsonOption, progress_run, user_errors
from boucle.cli.render import (
    console,
    error_console,
    print_export_summary,
    print_log_monitoring,
    print_run_summary,
    print_runs,
)

__all__ = ["app"]

app = typer.Typer(
    name="boucle",
    help="boucle: the whole ML lifecycle for tabular models as one closed, governed loop.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain click help: rendering it with rich costs ~0.3 s per call
)
schema_app = typer.Typer(
    help="The data schema checked by the validate step.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(schema_app, name="schema")


@app.command()
def quickstart(
    directory: Annotated[
        Path, typer.Option("--dir", help="Folder of the quickstart project.")
    ] = Path("boucle-quickstart"),
) -> None:
    """Create a project on the UCI Adult census data shipped with boucle and run the loop."""
    from boucle import api
    from boucle.quickstart import create_quickstart

    with user_errors():
        project = create_quickstart(directory)
        for name in project.created:
            console().print(f"created  {project.directory / name}")
        for name in project.kept:
            console().print(f"kept     {project.directory / name} (already there)")
        outcome = progress_run(_STEPS, lambda hooks: api.run(project.config_path, hooks=hooks))
        print_run_summary(outcome, project.config_path)


_STEPS = (
    "quality", "snapshot", "validate", "profile", "split", "train", "evaluate", "explain",
    "fairness", "robustness", "register", "mitigate", "export", "skew", "reference",
)  # fmt: skip


@app.command()
def run(config: ConfigOption = Path("boucle.yaml")) -> None:
    """Run the loop: snapshot, split, train, evaluate, register. Unchanged steps are cached."""
    from boucle import api

    with user_errors():
        outcome = progress_run(_STEPS, lambda hooks: api.run(config, hooks=hooks))
        print_run_summary(outcome, config)


@app.command("export")
def export_model(
    ref: Annotated[
        str, typer.Argument(help="Alias (champion, challenger), version number or NAME@alias.")
    ] = "champion",
    config: ConfigOption = Path("boucle.yaml"),
) -> None:
    """Export a registered version to ONNX, with the parity check (and int8 if configured)."""
    from boucle import api

    with user_errors():
        outcome = progress_run(_STEPS, lambda hooks: api.export(ref, config, hooks=hooks))
        print_export_summary(outcome)  # raises ExportError when feature functions block ONNX


@app.command("monitor")
def monitor_drift(
    current: Annotated[
        Path | None,
        typer.Option("--current", help="Production rows (CSV/Parquet); default: the serving log."),
    ] = None,
    config: ConfigOption = Path("boucle.yaml"),
    ref: Annotated[str, typer.Option("--model", help="Alias or version to compare with.")] = (
        "champion"
    ),
    alpha: Annotated[
        float | None,
        typer.Option(help="False discovery rate across features (default: monitor.alpha)."),
    ] = None,
    window: Annotated[
        str | None, typer.Option(help="Serving log: look back this far (7d, 12h).")
    ] = None,
    since: Annotated[str | None, typer.Option(help="Serving log: start date (ISO).")] = None,
    every: Annotated[
        str | None,
        typer.Option("--timeline", help="Serving log: timeline step (default: monitor.timeline)."),
    ] = None,
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write the HTML report to this file.")
    ] = None,
    dask: Annotated[
        bool | None,
        typer.Option(
            "--dask/--no-dask",
            help="Scan the partitions on a local Dask cluster (default: monitor.dask).",
        ),
    ] = None,
    workers: Annotated[
        int | None, typer.Option(help="Dask workers (default: monitor.workers, one per core).")
    ] = None,
) -> None:
    """Monitor production: drift (vs the training data), performance from feedback, operations.

    Exit 3 when the data drifted.
    """
    if current is None:
        from boucle.config import load_config
        from boucle.monitoring import monitor_log, parse_window

        with user_errors():
            result = monitor_log(
                load_config(config),
                ref=ref,
                start=parse_window(window, since),
                window=every,
                alpha=alpha,
                html=html,
                dask=dask,
                workers=workers,
            )
        print_log_monitoring(result)
        for note in result.notes:
            console().print(f"note: {note}", markup=False)
        if result.drift is not None and result.drift.dataset_drift:
            raise typer.Exit(3)
        return
    from boucle import api

    with user_errors():
        run_id, report = api.monitor(
            current, config, ref=ref, alpha=alpha, dask=dask, workers=workers
        )
    console().print(report.format_table(), markup=False)
    for note in report.runtime.get("notes", []):
        console().print(f"note: {note}", markup=False)
    console().print(
        f"report: monitor/{run_id}.json in the artifact store; ledger event drift_checked"
    )
    if report.dataset_drift:
        raise typer.Exit(3)


@app.command("predict")
def predict(
    source: Annotated[
        str,
        typer.Option("--input", help="Rows to score: a CSV/Parquet file, a folder or a glob."),
    ],
    output: Annotated[
        Path | None, typer.Option("--output", help="Parquet file to write (default: in the store).")
    ] = None,
    config: ConfigOption = Path("boucle.yaml"),
    ref: Annotated[str, typer.Option("--model", help="Alias or version to score with.")] = (
        "champion"
    ),
    id_column: Annotated[
        str | None,
        typer.Option(help="Column kept as the row id (default: id or *_id, else row number)."),
    ] = None,
    chunk_rows: Annotated[int, typer.Option(help="Rows per chunk (memory follows it).")] = 100_000,
    dask: Annotated[
        bool, typer.Option("--dask", help="Score the partitions on a local Dask cluster.")
    ] = False,
    workers: Annotated[
        int | None, typer.Option(help="Dask workers (default: one per core).")
    ] = None,
) -> None:
    """Score files of any size with a registered version's ONNX model, in chunks; write Parquet."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from boucle.batch import score_files
    from boucle.config import load_config

    columns = (TextColumn("scoring"), BarColumn(), MofNCompleteColumn(), TextColumn("rows"))
    with user_errors(), Progress(*columns, TimeElapsedColumn(), console=error_console()) as bar:
        task = bar.add_task("rows", total=None)
        result = score_files(
            load_config(config),
            source,
            output,
            ref=ref,
            chunk_rows=chunk_rows,
            id_column=id_column,
            dask=dask,
            workers=workers,
            on_progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    engine = f"dask, {result.workers} workers" if result.engine == "dask" else "local"
    if result.runtime == "python":
        engine += "; Python pipeline: this version has no ONNX form"
    console().print(
        f"scored {result.rows} rows from {result.files} file(s) with {result.model_name} "
        f"v{result.version} in {result.seconds:.1f}s ({engine}) → {result.output}"
    )


app.command("batch", hidden=True, help="Old name of `boucle predict`.")(predict)


@app.command("serve")
def serve(
    config: ConfigOption = Path("boucle.yaml"),
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
) -> None:
    """Serve the registered ONNX models over REST (A/B routes, shadow, log, /metrics)."""
    from boucle.config import load_config
    from boucle.serving import build_serve_config, load_served_models, reload_served_models

    with user_errors():
        cfg = load_config(config)
        serve_config = build_serve_config(cfg)
        models = load_served_models(cfg, serve_config)
        from boucle.serve import create_app, run_server

        app_ = create_app(
            serve_config,
            models,
            reload_models=lambda: reload_served_models(cfg, serve_config),
            reconcile=True,  # the models above may come from boucle's registry cache
        )
    routes = ", ".join(f"{r.alias}={r.weight:g}" for r in serve_config.routes)
    error_console().print(f"serving {cfg.project} on http://{host}:{port} (routes {routes})")
    run_server(app_, host, port)


@app.command()
def runs(config: ConfigOption = Path("boucle.yaml"), as_json: JsonOption = False) -> None:
    """List the project's runs (from the audit ledger)."""
    from boucle import api

    with user_errors():
        rows = api.runs(config)
    if as_json:
        typer.echo(json.dumps(rows, indent=2, default=str))
    else:
        print_runs(rows)


@app.command()
def show(
    run_id: Annotated[str, typer.Argument(help="Run id (a unique prefix is enough).")],
    config: ConfigOption = Path("boucle.yaml"),
) -> None:
    """Print one run's manifest: config, steps, cache keys, metrics, model version."""
    from boucle import api

    with user_errors():
        manifest = api.show(run_id, config)
    typer.echo(json.dumps(manifest, indent=2, default=str))


@app.command()
def reproduce(
    run_id: Annotated[str, typer.Argument(help="Run id (a unique prefix is enough).")],
    config: ConfigOption = Path("boucle.yaml"),
) -> None:
    """Re-run a past run from its snapshot and config; exit 1 unless the metrics are identical."""
    from boucle import api

    with user_errors():
        outcome = progress_run(
            ("snapshot", "validate", "split", "train", "evaluate"),
            lambda hooks: api.reproduce(run_id, config, hooks=hooks),
        )
    if outcome.identical:
        console().print(
            f"[green]identical[/]: run {outcome.run.run_id} reproduces {outcome.original_run_id} "
            f"({len(outcome.run.metrics)} metrics equal)."
        )
        return
    for name, (before, after) in outcome.differences.items():
        console().print(f"[red]differs[/] {name}: {before} → {after}")
    raise typer.Exit(1)


@app.command("profile")
def profile_data(config: ConfigOption = Path("boucle.yaml")) -> None:
    """Profile the data as one offline HTML page (statistics, charts, data-gate findings)."""
    from boucle import api

    with user_errors():
        where = progress_run(_STEPS[:3], lambda hooks: api.profile(config, hooks=hooks))
    console().print(f"profile report: {where}")


@schema_app.command("infer")
def schema_infer(
    config: ConfigOption = Path("boucle.yaml"),
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace an existing file.")
    ] = False,
) -> None:
    """Infer the schema (columns, dtypes, ranges, categories) from the data; write it to edit."""
    from boucle import api

    with user_errors():
        path = api.infer_schema(config, overwrite=overwrite)
    console().print(
        f"wrote {path}: edit it, then `boucle run` validates every snapshot against it."
    )


def _register_command_modules() -> None:
    from boucle.cli import (
        audit,
        documents,
        governance,
        loop,
        monitoring,
        operate,
        package,
        plugins,
        project,
    )

    for module in (
        project,
        package,
        governance,
        documents,
        operate,
        monitoring,
        loop,
        audit,
        plugins,
    ):
        module.register(app)


_register_command_modules()


def main() -> None:
    """Entry point for ``python -m boucle``."""
    app()
