"""Turn sections into one self-contained HTML page, and write it to disk atomically.

The page has no script, loads nothing from the network (its Content-Security-Policy forbids
it) and works offline: styles are inline and charts are inline SVG. Jinja2 autoescaping is on
for every template, because column names and category labels are user data.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from boucle._version import __version__
from boucle.errors import BoucleError
from boucle.reports.blocks import Section, format_number, format_share, slugify

__all__ = ["DEFAULT_TEMPLATE", "render_report", "write_report"]

DEFAULT_TEMPLATE = "report.html.j2"


@functools.cache
def _environment() -> Any:
    """The Jinja2 environment over the templates shipped in ``boucle/reports/templates``."""
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("boucle.reports", "templates"),
        autoescape=True,  # every template: user data is never trusted
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["number"] = format_number
    environment.filters["share"] = format_share
    return environment


def _unique_anchors(sections: Sequence[Section]) -> list[str]:
    """One distinct HTML id per section: its ``anchor``, else a slug of its title."""
    seen: set[str] = set()
    anchors = []
    for section in sections:
        base = slugify(section.anchor or section.title)
        anchor, suffix = base, 2
        while anchor in seen:
            anchor, suffix = f"{base}-{suffix}", suffix + 1
        seen.add(anchor)
        anchors.append(anchor)
    return anchors


def render_report(
    title: str,
    sections: Sequence[Section],
    *,
    template: str = DEFAULT_TEMPLATE,
    subtitle: str = "",
    generated_at: datetime | None = None,
) -> str:
    """Render ``sections`` into a standalone HTML page and return it.

    ``template`` names a template in ``boucle/reports/templates``; it extends ``base.html.j2``
    (header, navigation of the sections, footer with the boucle version and the generation
    time) and receives ``title``, ``subtitle``, ``sections`` as ``(anchor, section)`` pairs,
    ``version`` and ``generated_at``. ``generated_at`` defaults to now (UTC); pass a fixed time
    for byte-reproducible output. Raises :class:`BoucleError` if the template does not exist.
    """
    import jinja2

    when = (generated_at or datetime.now(UTC)).astimezone(UTC)
    try:
        page = _environment().get_template(template)
    except jinja2.TemplateNotFound as exc:
        names = ", ".join(sorted(_environment().list_templates()))
        raise BoucleError(
            f"report template '{template}' does not exist.", hint=f"Use one of: {names}."
        ) from exc
    return str(
        page.render(
            title=title,
            subtitle=subtitle,
            sections=list(zip(_unique_anchors(sections), sections, strict=True)),
            version=__version__,
            generated_at=when.strftime("%Y-%m-%d %H:%M:%S UTC"),
        )
    )


def write_report(html: str, path: str | os.PathLike[str]) -> Path:
    """Write ``html`` to ``path`` (UTF-8) atomically and return the path.

    The page goes to a temp file in the same folder, is fsynced, then renamed onto ``path``:
    a reader sees the previous report or the new one, never half a page, and a failure leaves
    the previous report intact. Missing parent folders are created. Raises
    :class:`BoucleError` naming the path when the file cannot be written.
    """
    from boucle.store._local import write_atomic

    target = Path(path).expanduser().absolute()
    try:
        write_atomic(str(target), [html.encode("utf-8")])
    except OSError as exc:
        raise BoucleError(
            f"cannot write the report to '{target}': {exc.strerror or exc}.",
            hint="Check that the folder is writable and the disk is not full.",
        ) from exc
    return target
