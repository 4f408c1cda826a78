"""Documents generated from the evidence: the model card and the Annex IV documentation.

>>> from boucle.config import load_config
>>> from boucle.governance import documents
>>> cfg = load_config("boucle.yaml")                                     # doctest: +SKIP
>>> card = documents.generate_model_card(cfg, "2", out=Path("docs"))    # doctest: +SKIP
>>> card.files                                                           # doctest: +SKIP
{'credit-v2-model-card.html': '9c1e…', 'credit-v2-model-card.md': '41f0…'}
>>> annex = documents.generate_annex_iv(cfg, "champion")                 # doctest: +SKIP

Every value comes from the audit ledger (verified first), the run manifest bound to it, the
reports in the artifact store or the classified ``use_case:``; a fact none of them holds is
shown as "not recorded" with how to record it. Each document states the ledger head it was
built from and lists the hashes of the events it cites; generating one appends a
``documents_generated`` event.
"""

from __future__ import annotations

from boucle.governance.documents.annex_iv import ANNEX_IV_ITEMS, annex_iv_content
from boucle.governance.documents.facts import NOT_RECORDED, Citations, Fact, fact_table
from boucle.governance.documents.gather import (
    LedgerHead,
    RunRecord,
    StoredReport,
    VersionFacts,
    gather_version_facts,
)
from boucle.governance.documents.generate import (
    DocumentKind,
    GeneratedDocument,
    generate_annex_iv,
    generate_model_card,
)
from boucle.governance.documents.markdown import escape_markdown, render_markdown
from boucle.governance.documents.model_card import DocumentContent, model_card_content
from boucle.governance.documents.pdf import PdfUnavailableError, html_to_pdf, pdf_available

__all__ = [
    "ANNEX_IV_ITEMS",
    "NOT_RECORDED",
    "Citations",
    "DocumentContent",
    "DocumentKind",
    "Fact",
    "GeneratedDocument",
    "LedgerHead",
    "PdfUnavailableError",
    "RunRecord",
    "StoredReport",
    "VersionFacts",
    "annex_iv_content",
    "escape_markdown",
    "fact_table",
    "gather_version_facts",
    "generate_annex_iv",
    "generate_model_card",
    "html_to_pdf",
    "model_card_content",
    "pdf_available",
    "render_markdown",
]
