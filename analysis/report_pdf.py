"""The results report as a PDF: the standalone HTML document, laid out for paper by WeasyPrint.

WeasyPrint draws the same tables, notes and inline SVG charts as the page, with the print
rules of `css/results.css` (A4 landscape, page numbers). It needs Pango from the system
(`bin/ensure-pango`); without it the download answers with a clear error, the page still works.
"""

import logging

from django.conf import settings


class PdfUnavailable(Exception):
    """The PDF renderer's system libraries are missing on this machine."""


def html_to_pdf(html: str) -> bytes:
    """Return the PDF of a standalone HTML document (its styles inline, nothing fetched)."""
    # WeasyPrint logs every step (even of its import) at INFO; the log needs none of them.
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    try:
        from weasyprint import HTML
    except OSError as error:  # Pango or its fonts are not installed
        raise PdfUnavailable(str(error)) from error
    return HTML(string=html, base_url=str(settings.BASE_DIR), url_fetcher=_no_fetch).write_pdf()


def _no_fetch(url: str, timeout: int = 10, ssl_context=None):
    """Refuse every fetch: the document carries its styles and charts inline."""
    raise ValueError(f"The PDF report fetches nothing ({url}).")


def render_results_pdf(wave, run, *, scope=None, request=None) -> bytes:
    """Render the report of `run` (or the no-results page when None) as a PDF."""
    from analysis.report_html import render_results_html

    return html_to_pdf(
        render_results_html(wave, run, scope=scope, standalone=True, request=request)
    )
