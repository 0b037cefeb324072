"""Show a plain-text e-mail in a page as it reads in a mail program, at any width."""

import re

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

LONG_WORD = re.compile(r"\S{24,}")
# Where a long link may wrap: after a slash, a dot, a hyphen or an equals sign, and at
# least every 16 characters, so that no line of a phone-width page is wider than the page.
BREAK_AFTER = re.compile(r"([/.\-=?&])|(.{16})")


def _breakable(word: str) -> str:
    return "<wbr>".join(
        escape(part) for part in BREAK_AFTER.sub(lambda m: m.group(0) + "\0", word).split("\0")
    )


@register.filter
def email_text(text: str) -> SafeString:
    """Escape the text, keep its line breaks, and let long links wrap."""
    lines = []
    for line in str(text).split("\n"):
        pieces, last = [], 0
        for match in LONG_WORD.finditer(line):
            pieces.append(escape(line[last : match.start()]))
            pieces.append(_breakable(match.group(0)))
            last = match.end()
        pieces.append(escape(line[last:]))
        lines.append("".join(pieces))
    # Every piece was escaped above.
    return mark_safe("<br>".join(lines))
