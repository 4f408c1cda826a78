"""``boucle package``: write the deployable bundle of a registered, exported model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from boucle.cli.common import ConfigOption, user_errors
from boucle.cli.render import console

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add ``boucle package`` to ``app``."""
    app.command("package")(package)


def package(
    config: ConfigOption = Path("boucle.yaml"),
    ref: Annotated[
        str | None,
        typer.Option(
            "--model",
            help="Alias (champion, challenger) or version number to bundle alone "
            "(default: package.routes, else serve.routes).",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Folder to write (default: bundles/<name>-<tag>)."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace the bundle already in --out.")
    ] = False,
) -> None:
    """Write a deployable bundle: ONNX model(s), server, requirements, Dockerfile, k8s."""
    from boucle.config import load_config
    from boucle.package import build_package

    with user_errors():
        result = build_package(load_config(config), ref=ref, out=out, force=force)
    models = ", ".join(f"{m['alias']} = {m['name']} v{m['version']}" for m in result.models)
    console().print(f"bundle {result.out} ({len(result.files)} files): {models}", markup=False)
    console().print(f"  docker build -t {result.image} {result.out}", markup=False)
    console().print(f"  kubectl apply -f {result.out / 'k8s'}", markup=False)
    console().print("ledger event package_built", markup=False)
