"""PDF form of a document, with WeasyPrint when it is installed (an optional dependency).

WeasyPrint needs the system Pango library (Debian: ``apt-get install libpango-1.0-0
libpangoft2-1.0-0``) and ``pip install 'weasyprint>=68'``. Without it the HTML form stays the
printable one: its print stylesheet lays it out on A4 pages. The renderer may fetch nothing
but inline ``data:`` URLs, so making a PDF never touches the network or the disk.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from typing import Any

from boucle.errors import BoucleError

__all__ = ["PdfUnavailableError", "html_to_pdf", "pdf_available", "require_pdf"]

_INSTALL = (
    "pip install 'weasyprint>=68' (it needs the system Pango library: apt-get install "
    "libpango-1.0-0 libpangoft2-1.0-0), or print the HTML form from a browser: it is laid out "
    "for A4 pages."
)


_LIBRARY = "weasyprint"  # the module imported; tests point it at one that fails to import


class PdfUnavailableError(BoucleError):
    """A PDF was asked for but WeasyPrint (or the Pango library it needs) is not installed."""


def pdf_available() -> bool:
    """True when WeasyPrint is installed (its import may still fail without Pango).

    Cheap (no import); :func:`html_to_pdf` raises :class:`PdfUnavailableError` when the
    import then fails, which ``generate_annex_iv(pdf=None)`` turns into a note.
    """
    return importlib.util.find_spec(_LIBRARY) is not None


def _weasyprint() -> Any:
    try:
        return importlib.import_module(_LIBRARY)
    except (ImportError, OSError) as exc:  # OSError: the Pango shared library is missing
        raise PdfUnavailableError(
            f"cannot make a PDF: WeasyPrint is not usable here ({exc}).", hint=_INSTALL
        ) from exc


def require_pdf() -> None:
    """Raise :class:`PdfUnavailableError` unless WeasyPrint imports (Pango present)."""
    _weasyprint()


def html_to_pdf(html: str) -> bytes:
    """Render a self-contained HTML document to PDF bytes (print media, A4)."""
    weasyprint = _weasyprint()
    fetcher_class = getattr(getattr(weasyprint, "urls", None), "URLFetcher", None)
    if fetcher_class is None:  # older releases have no way to forbid every fetch
        raise PdfUnavailableError(
            f"WeasyPrint {getattr(weasyprint, '__version__', '?')} is too old to make a PDF "
            "offline.",
            hint=_INSTALL,
        )
    fetcher = fetcher_class(allowed_protocols=("data",), fail_on_errors=False)
    # WeasyPrint warns about every CSS property it does not support (sticky navigation,
    # hover effects of the screen stylesheet); those are expected, not the user's business.
    quiet = [logging.getLogger(name) for name in ("weasyprint", "fontTools")]
    levels = [logger.level for logger in quiet]
    for logger in quiet:
        logger.setLevel(logging.ERROR)
    try:
        document = weasyprint.HTML(string=html, url_fetcher=fetcher, media_type="print")
        pdf = document.write_pdf()
    except Exception as exc:  # WeasyPrint raises plain exceptions; translated once, here
        raise BoucleError(
            f"WeasyPrint could not render the document to PDF: {exc}.",
            hint="Use the HTML form (print it from a browser), and report this with the "
            "WeasyPrint version (`pip show weasyprint`).",
        ) from exc
    finally:
        for logger, level in zip(quiet, levels, strict=True):
            logger.setLevel(level)
    return bytes(pdf)
