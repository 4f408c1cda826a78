"""``boucle docs model-card`` and ``boucle docs annex-iv``: documents built from the evidence.

Only typer, the standard library and the shared CLI modules are imported here; the commands
import :mod:`boucle.governance.documents` when they run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from boucle.cli.common import ConfigOption, JsonOption, user_errors
from boucle.cli.render import console, error_console

if TYPE_CHECKING:
    from boucle.governance.documents import GeneratedDocument

__all__ = ["register"]

docs_app = typer.Typer(
    help="Documents generated from the audit ledger: model card, Annex IV documentation.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

VersionArgument = Annotated[
    str,
    typer.Argument(help="Version number (3) or alias (champion) of the project's model."),
]
OutOption = Annotated[
    Path | None,
    typer.Option("--out", help="Also write the files to this folder (created if missing)."),
]


def register(app: typer.Typer) -> None:
    """Add the ``docs`` command group to ``app``."""
    app.add_typer(docs_app, name="docs")


def _report(document: GeneratedDocument, as_json: bool) -> None:
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "kind": document.kind,
                    "model": document.model,
                    "version": document.version,
                    "ledger_head": document.ledger_head,
                    "ledger_events": document.ledger_events,
                    "digest": document.digest,
                    "files": document.files,
                    "store_paths": document.store_paths,
                    "out_paths": [str(p) for p in document.out_paths],
                    "event_index": document.event.index,
                    "notes": document.notes,
                },
                indent=2,
            )
        )
        return
    out = console()
    out.print(
        f"{document.kind} of {document.model} v{document.version}, built from ledger head "
        f"{document.ledger_head} ({document.ledger_events} events)",
        highlight=False,
    )
    for path in [*document.store_paths, *map(str, document.out_paths)]:
        out.print(f"wrote {path}", highlight=False)
    out.print(
        f"recorded: ledger event #{document.event.index} documents_generated "
        f"(digest {document.digest})",
        highlight=False,
    )
    for note in document.notes:
        error_console().print(f"[yellow]note[/]: {note}", highlight=False)


@docs_app.command("model-card")
def model_card(
    version: VersionArgument = "champion",
    config: ConfigOption = Path("boucle.yaml"),
    out: OutOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write the model card (HTML and Markdown) of a version from its evidence."""
    from boucle.config import load_config
    from boucle.governance.documents import generate_model_card

    with user_errors():
        document = generate_model_card(load_config(config), version, out=out)
    _report(document, as_json)


@docs_app.command("annex-iv")
def annex_iv(
    version: VersionArgument = "champion",
    config: ConfigOption = Path("boucle.yaml"),
    out: OutOption = None,
    pdf: Annotated[
        bool | None,
        typer.Option(
            "--pdf/--no-pdf",
            help="Require the PDF form, or skip it (default: made when WeasyPrint is installed).",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Write the EU AI Act Annex IV technical documentation (HTML, PDF) of a version."""
    from boucle.config import load_config
    from boucle.governance.documents import generate_annex_iv

    with user_errors():
        document = generate_annex_iv(load_config(config), version, out=out, pdf=pdf)
    _report(document, as_json)
