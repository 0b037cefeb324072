"""One rule for the text people type or upload: the same letters are stored the same way.

"Llŷr" typed on one keyboard is four code points (NFC: ŷ is U+0177) and on another five
(NFD: y followed by the combining circumflex U+0302); a pasted name may carry a zero-width
space or a right-to-left override that no one sees. Unnormalised, they would be two panel
members, two themes or two wards that look identical. `clean_text` is applied once on each
way in: the form mixin `NormalisedFormMixin` (console and questionnaire), the API's
serializers, and the panel and response import readers.

What `clean_text` does:
- NFC: every letter that has a precomposed form is stored precomposed. All the letters
  Welsh needs (â ê î ô û ŵ ŷ, à á ä ï ë ÿ, ẁ ẃ ẅ ỳ ý, the apostrophe ’) have one.
- Removes the bidirectional controls (U+061C, U+200E–U+200F, U+202A–U+202E,
  U+2066–U+2069): the platform's texts are English and Welsh, and a name in a
  right-to-left script displays correctly without them; with them, a file name or a
  cell can be shown in an order other than the one stored.
- Removes the invisible characters that only hide differences: zero-width space U+200B,
  word joiner U+2060, zero-width no-break space or byte order mark U+FEFF, soft hyphen
  U+00AD, combining grapheme joiner U+034F, Mongolian vowel separator U+180E, the
  invisible operators U+2061–U+2064.
- Keeps the zero-width joiner and non-joiner (U+200D, U+200C) where they are meaningful:
  between two characters neither of which is Latin, ASCII, a digit, a space or
  punctuation. That keeps emoji sequences (👩‍👩‍👧) and the joining forms of Arabic, Persian
  and Indic scripts, and removes a joiner hidden inside a Latin name ("Ll‍ŷr").
- Keeps the tag characters (U+E0020–U+E007F) only inside a flag sequence: a waving black
  flag U+1F3F4 followed by tags and the cancel tag U+E007F, as in the flag of Wales 🏴󠁧󠁢󠁷󠁬󠁳󠁿.
  Elsewhere they are invisible text, and are removed.
- Keeps variation selectors (U+FE00–U+FE0F), which choose how an emoji is drawn.

It never removes visible characters, line breaks or tabs, and never trims: forms trim
single-line fields themselves, and whether a line break is allowed is each field's rule.
"""

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
INVISIBLE = frozenset("\u00ad\u034f\u180e\u200b\u2060\u2061\u2062\u2063\u2064\ufeff")
JOINERS = frozenset("\u200c\u200d")
BLACK_FLAG = "\U0001f3f4"
CANCEL_TAG = "\U000e007f"
STRIPPED = BIDI_CONTROLS | INVISIBLE

# Every character Python (str.splitlines) and some mail software take for a line break.
LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")

# A spreadsheet may run a cell that starts with one of these as a formula; a tab or a
# carriage return at the start is refused or guarded too (OWASP's list).
FORMULA_TRIGGERS = ("=", "+", "-", "@")
FORMULA_LEADERS = ("\t", "\r")


def _is_tag(char: str) -> bool:
    return "\U000e0020" <= char <= "\U000e007f"


def _joinable(char: str | None) -> bool:
    """Return whether a joiner next to this character can change how text is drawn."""
    if char is None or char.isascii() or char.isspace():
        return False
    if unicodedata.category(char)[0] in "NPZC":
        return False
    return not unicodedata.name(char, "").startswith("LATIN")


def _keep_flag_tags(text: str) -> str:
    """Drop tag characters except those of a flag sequence (🏴 tags… cancel tag)."""
    kept = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == BLACK_FLAG:
            end = index + 1
            while end < len(text) and _is_tag(text[end]) and text[end] != CANCEL_TAG:
                end += 1
            if end > index + 1 and end < len(text) and text[end] == CANCEL_TAG:
                kept.append(text[index : end + 1])
                index = end + 1
                continue
        if not _is_tag(char):
            kept.append(char)
        index += 1
    return "".join(kept)


def clean_text(value: str) -> str:
    """Return the text in NFC without bidi controls or invisible characters (see above)."""
    if value.isascii():
        return value
    text = unicodedata.normalize("NFC", value)
    if any(char in STRIPPED for char in text):
        text = "".join(char for char in text if char not in STRIPPED)
    if any(_is_tag(char) for char in text):
        text = _keep_flag_tags(text)
    if any(char in JOINERS for char in text):
        kept = []
        for index, char in enumerate(text):
            if char in JOINERS:
                before = kept[-1] if kept else None
                after = text[index + 1] if index + 1 < len(text) else None
                if not (_joinable(before) and _joinable(after)):
                    continue
            kept.append(char)
        text = "".join(kept)
    return text


def clean_data(value):
    """Return a parsed request body (dicts, lists, strings) with every string cleaned."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {key: clean_data(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [clean_data(item) for item in value]
    return value


def formula_trigger(text: str) -> str | None:
    """Return the character that makes a spreadsheet run the text as a formula, or None.

    Leading spaces (and invisible characters) do not protect a cell: " =cmd()" is run by
    spreadsheets that trim what they import, so the trigger is looked for after them.
    """
    if text.startswith(FORMULA_LEADERS):
        return text[0]
    for char in text:
        if char.isspace() or char in STRIPPED or char in JOINERS:
            continue
        return char if char in FORMULA_TRIGGERS else None
    return None


def guard_formula(text: str) -> str:
    """Return the text with a leading apostrophe when a spreadsheet would run it."""
    return "'" + text if formula_trigger(text) else text


def clean_submitted(data):
    """Return submitted form or API data with every text value cleaned; files untouched.

    Takes a QueryDict (or any MultiValueDict) and keeps its type, a dict, or a list.
    """
    from django.http import QueryDict
    from django.utils.datastructures import MultiValueDict

    if isinstance(data, MultiValueDict):
        cleaned = QueryDict(mutable=True) if isinstance(data, QueryDict) else MultiValueDict()
        for key, values in data.lists():
            cleaned.setlist(key, [clean_data(value) for value in values])
        if isinstance(cleaned, QueryDict):
            cleaned._mutable = False
        return cleaned
    return clean_data(data)


class NormalisedFormMixin:
    """Clean every submitted text (`clean_text`) before any field of the form reads it.

    Put it first among a form's bases. Cleaning the submitted data itself, rather than
    each field's value, means uniqueness checks, `clean_<field>` methods and a page shown
    again with errors all see the one spelling that will be stored.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.is_bound:
            self.data = clean_submitted(self.data)


def validate_one_line(value: str) -> None:
    """Refuse a line break in text that goes into an e-mail header (a subject, a name).

    A model validator, so the console's forms, the API's serializers and Django admin all
    refuse it when it is typed, rather than every e-mail failing when it is sent.
    """
    if any(char in LINE_BREAKS for char in value):
        raise ValidationError(
            _("This text goes into e-mail headers, so it must be one line: remove the line break."),
            code="line_break",
        )
