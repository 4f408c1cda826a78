"""Generate a document for a version, store it, copy it to a folder, record it in the ledger.

Each document goes to the artifact store twice: content-addressed (its blake3 digest, which an
audit bundle carries) and at ``reports/<model>-v<version>-<kind>.<ext>``; with ``out`` it is
also written to that folder. A ``documents_generated`` ledger event, under the version's
lineage id, records ``{model, version, kind, digest, ledger_head, ledger_events, files}``:
the head is the one the document was built from (the event itself comes after it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from boucle.errors import BoucleError

if TYPE_CHECKING:
    from boucle.config import BoucleConfig
    from boucle.governance.documents.gather import VersionFacts
    from boucle.governance.documents.model_card import DocumentContent
    from boucle.ledger import LedgerEvent

__all__ = ["DocumentKind", "GeneratedDocument", "generate_annex_iv", "generate_model_card"]

DocumentKind = Literal["model-card", "annex-iv"]
TEMPLATE = "document.html.j2"
PAGED_TEMPLATE = "document-paged.html.j2"  # each section (Annex IV item) on a new page


@dataclass(frozen=True)
class GeneratedDocument:
    """What was written: files (name → blake3), where, and the ledger facts behind it."""

    kind: DocumentKind
    model: str
    version: int
    ledger_head: str
    ledger_events: int
    digest: str
    """blake3 of the HTML form (the ``digest`` of the ``documents_generated`` event)."""
    files: dict[str, str]
    store_paths: list[str]
    out_paths: list[Path]
    event: LedgerEvent
    notes: list[str] = field(default_factory=list)


def generate_model_card(
    config: BoucleConfig, version: str = "champion", *, out: Path | None = None
) -> GeneratedDocument:
    """Write the model card (HTML and Markdown) of ``version`` (number or alias)."""
    from boucle.governance.documents.gather import gather_version_facts
    from boucle.governance.documents.markdown import render_markdown
    from boucle.governance.documents.model_card import model_card_content

    facts = gather_version_facts(config, version)
    content = model_card_content(facts)
    markdown = render_markdown(content.title, content.sections, subtitle=content.subtitle)
    forms = {"html": _html(content).encode("utf-8"), "md": markdown.encode("utf-8")}
    return _publish(facts, "model-card", forms, out=out, notes=[])


def generate_annex_iv(
    config: BoucleConfig,
    version: str = "champion",
    *,
    out: Path | None = None,
    pdf: bool | None = None,
) -> GeneratedDocument:
    """Write the Annex IV technical documentation of ``version`` (HTML, and PDF when possible).

    ``pdf``: True requires a PDF (:class:`PdfUnavailableError` without WeasyPrint or the
    Pango library it needs), False skips it, None makes one when WeasyPrint is usable and
    otherwise keeps the HTML form alone, with a note saying why.
    """
    from boucle.governance.documents.annex_iv import annex_iv_content
    from boucle.governance.documents.gather import gather_version_facts
    from boucle.governance.documents.pdf import (
        PdfUnavailableError,
        html_to_pdf,
        pdf_available,
        require_pdf,
    )

    if pdf:
        require_pdf()  # fail before any work when a PDF is required and cannot be made
    facts = gather_version_facts(config, version)
    html = _html(annex_iv_content(facts), template=PAGED_TEMPLATE)
    forms = {"html": html.encode("utf-8")}
    notes = []
    if pdf:
        forms["pdf"] = html_to_pdf(html)
    elif pdf is None and not pdf_available():
        notes.append(
            "no PDF: WeasyPrint is not installed (pip install 'weasyprint>=68'); the HTML "
            "form is print-ready (A4)."
        )
    elif pdf is None:
        # Installed is not usable: without the Pango library the import itself fails.
        try:
            forms["pdf"] = html_to_pdf(html)
        except PdfUnavailableError as exc:
            notes.append(f"no PDF: {exc.message} The HTML form is print-ready (A4). {exc.hint}")
    return _publish(facts, "annex-iv", forms, out=out, notes=notes)


def _html(content: DocumentContent, *, template: str = TEMPLATE) -> str:
    from boucle.reports import render_report

    return render_report(
        content.title, content.sections, template=template, subtitle=content.subtitle
    )


def _publish(
    facts: VersionFacts,
    kind: DocumentKind,
    forms: dict[str, bytes],
    *,
    out: Path | None,
    notes: list[str],
) -> GeneratedDocument:
    """Store every form, copy them to ``out``, append ``documents_generated``."""
    from boucle.ledger import Ledger
    from boucle.runner.session import open_store

    ref = facts.ref
    stem = f"{ref.model}-v{ref.version}-{kind}"
    store = open_store(facts.config)
    files: dict[str, str] = {}
    store_paths: list[str] = []
    for extension, data in forms.items():
        name = f"{stem}.{extension}"
        files[name] = store.put_bytes(data)
        store_paths.append(store.write_bytes_atomic(f"reports/{name}", data))
    out_paths = _write_out(out, {f"{stem}.{ext}": data for ext, data in forms.items()})
    digest = files[f"{stem}.html"]
    payload = {
        "model": ref.model,
        "version": ref.version,
        "kind": kind,
        "digest": digest,
        "ledger_head": facts.head.hash,
        "ledger_events": facts.head.count,
        "files": files,
        "artifacts": sorted(set(files.values())),
    }
    with Ledger(facts.config.stores.ledger or "") as ledger:
        event = ledger.append("documents_generated", payload, lineage_id=ref.lineage_id)
    return GeneratedDocument(
        kind=kind,
        model=ref.model,
        version=ref.version,
        ledger_head=facts.head.hash,
        ledger_events=facts.head.count,
        digest=digest,
        files=files,
        store_paths=store_paths,
        out_paths=out_paths,
        event=event,
        notes=notes,
    )


def _write_out(out: Path | None, files: dict[str, bytes]) -> list[Path]:
    from boucle.store._local import write_atomic

    if out is None:
        return []
    written = []
    for name, data in files.items():
        target = (out / name).absolute()
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(str(target), [data])
        except OSError as exc:
            raise BoucleError(
                f"cannot write the document to '{target}': {exc.strerror or exc}.",
                hint="Choose a writable folder for --out (the store copy was written).",
            ) from exc
        written.append(target)
    return written
