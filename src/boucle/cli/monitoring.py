"""``boucle ab``: compare serving routes on the labelled records of the prediction log."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from boucle.cli.common import ConfigOption, JsonOption, user_errors
from boucle.cli.render import console

__all__ = ["register"]

ab_app = typer.Typer(
    help="A/B analysis of the serving routes.", no_args_is_help=True, rich_markup_mode=None
)


def register(app: typer.Typer) -> None:
    """Add the ``ab`` command group to ``app``."""
    app.add_typer(ab_app, name="ab")


@ab_app.command("report")
def ab_report(
    config: ConfigOption = Path("boucle.yaml"),
    a: Annotated[str, typer.Option("--a", help="Control route (alias).")] = "champion",
    b: Annotated[str, typer.Option("--b", help="Candidate route (alias).")] = "challenger",
    metric: Annotated[str, typer.Option(help="accuracy, precision, recall, f1 (rmse, mae).")] = (
        "accuracy"
    ),
    min_difference: Annotated[
        float, typer.Option(help="Smallest difference worth acting on (sample size).")
    ] = 0.01,
    window: Annotated[str | None, typer.Option(help="Look back this far: 7d, 12h, 30m.")] = None,
    since: Annotated[str | None, typer.Option(help="Start date (ISO).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Difference between two routes with a confidence interval, and whether it is enough."""
    from boucle.config import load_config
    from boucle.monitoring import ab_analysis, parse_window

    with user_errors():
        report = ab_analysis(
            load_config(config),
            a=a,
            b=b,
            metric=metric,
            min_difference=min_difference,
            start=parse_window(window, since),
        )
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2))
        return
    out = console()
    for arm in (report.a, report.b):
        value = "n/a" if arm.value is None else f"{arm.value:.4f}"
        out.print(
            f"{arm.alias:<12} {report.metric} {value}  ({arm.labelled} labelled of {arm.scored})"
        )
    if report.difference is not None:
        interval = "" if report.low is None else f" [{report.low:+.4f}, {report.high:+.4f}]"
        p = "" if report.p_value is None else f", p = {report.p_value:.3g}"
        out.print(f"difference (b - a) {report.difference:+.4f}{interval}{p}")
    if report.required_per_arm is not None:
        out.print(
            f"labelled records per arm to detect {report.min_difference:g}: "
            f"{report.required_per_arm} ({'enough' if report.enough_data else 'not yet'})"
        )
    out.print(f"verdict: {report.verdict}", markup=False)
