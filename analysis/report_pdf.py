"""The results report as a PDF: the standalone HTML document, laid out for paper by WeasyPrint.

WeasyPrint draws the same tables, notes and inline SVG charts as the page, with the print
rules of `css/results.css` (A4 landscape, page numbers). It needs Pango from the system
(`bin/ensure-pango`); without it the download answers with a clear error, the page still works.
"""

import hashlib
import logging
import os
import tempfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from django.conf import settings

PDF_DIRECTORY = "report-pdfs"


class PdfUnavailable(Exception):
    """The PDF renderer's system libraries are missing on this machine."""


class _ScreenOnlyRules(logging.Filter):
    """Drop WeasyPrint's warnings about the style sheet's phone-width rules.

    WeasyPrint reads no media features, so it skips `@media screen and (max-width: …)`
    (as it should: a PDF has no phone width) but warns about it on every document.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return "media type" not in record.getMessage()


def html_to_pdf(html: str) -> bytes:
    """Return the PDF of a standalone HTML document (its styles inline, nothing fetched)."""
    # WeasyPrint logs every step (even of its import) at INFO; the log needs none of them.
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    css_log = logging.getLogger("weasyprint")
    if not any(isinstance(f, _ScreenOnlyRules) for f in css_log.filters):
        css_log.addFilter(_ScreenOnlyRules())
    try:
        from weasyprint import HTML
    except OSError as error:  # Pango or its fonts are not installed
        raise PdfUnavailable(str(error)) from error
    return HTML(string=html, base_url=str(settings.BASE_DIR), url_fetcher=_no_fetch).write_pdf()


def _no_fetch(url: str, timeout: int = 10, ssl_context=None):
    """Refuse every fetch: the document carries its styles and charts inline."""
    raise ValueError(f"The PDF report fetches nothing ({url}).")


def render_results_pdf(
    wave, run, *, scope=None, request=None, language: str | None = None
) -> bytes:
    """Return the report of `run` (or the no-results page when None) as a PDF."""
    from analysis.report_html import render_results_html

    html = render_results_html(
        wave, run, scope=scope, standalone=True, request=request, language=language
    )
    return kept_pdf(html)


def kept_pdf(html: str) -> bytes:
    """Return the PDF of a standalone document, laid out once and then kept.

    Laying out a report takes seconds (about 1.5 s for one case, 5 s for ten) while its
    HTML takes milliseconds, and a finished run's report never changes: the PDF is kept
    under MEDIA_ROOT, named by the digest of the HTML it was made from (so a new
    language, template or run is a new file, never a stale one).
    """
    digest = hashlib.sha256(f"{weasyprint_version()}\n{html}".encode()).hexdigest()
    path = Path(settings.MEDIA_ROOT) / PDF_DIRECTORY / f"{digest}.pdf"
    if path.is_file():
        return path.read_bytes()
    pdf = html_to_pdf(html)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write aside, then move into place: a reader never sees half a file.
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".part", delete=False) as part:
        part.write(pdf)
    os.replace(part.name, path)
    return pdf


def weasyprint_version() -> str:
    try:
        return version("weasyprint")
    except PackageNotFoundError:
        return "unknown"
