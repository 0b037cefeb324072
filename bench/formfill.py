"""Fill in whatever form a page shows, as a hurried but valid respondent would.

The load test must keep working while the questionnaire changes shape (one page per
theme, an about-you page, a check-answers page), so it reads the form from the HTML
instead of knowing its fields: one valid value per radio group, one ticked box per
checkbox group, every hidden input, a real option of each select, a plausible text for
text inputs, and the submit button's own name and value.
"""

import random
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

# Text inputs are recognised by name; anything else gets a short neutral word.
_TEXT_VALUES = [
    (re.compile(r"year|birth", re.I), lambda rng: str(rng.randint(1940, 2005))),
    (re.compile(r"post.?code", re.I), lambda rng: "CF10 1AA"),
    (re.compile(r"age", re.I), lambda rng: str(rng.randint(18, 85))),
    (re.compile(r"mail", re.I), lambda rng: "member@example.org"),
]


@dataclass
class ParsedForm:
    action: str | None
    method: str
    hidden: dict[str, str] = field(default_factory=dict)
    radios: dict[str, list[str]] = field(default_factory=dict)
    checkboxes: dict[str, list[str]] = field(default_factory=dict)
    selects: dict[str, list[str]] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    submit: tuple[str, str] | None = None

    def fill(self, rng: random.Random | None = None) -> dict[str, str]:
        """Return a POST body with one valid value for every field of the form."""
        rng = rng or random.Random()
        data = dict(self.hidden)
        for name, values in self.radios.items():
            # A member taking part agrees: declining ends the cycle on the start page.
            data[name] = "yes" if name == "consent" and "yes" in values else rng.choice(values)
        for name, values in self.checkboxes.items():
            data[name] = rng.choice(values)  # one ticked box satisfies a required consent
        for name, values in self.selects.items():
            real = [v for v in values if v != ""] or values
            data[name] = rng.choice(real)
        for name, value in self.texts.items():
            data[name] = value or _plausible_text(name, rng)
        if self.submit is not None:
            data[self.submit[0]] = self.submit[1]
        return data


def _plausible_text(name: str, rng: random.Random) -> str:
    for pattern, make in _TEXT_VALUES:
        if pattern.search(name):
            return make(rng)
    return "Central"


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[ParsedForm] = []
        self._form: ParsedForm | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: (value if value is not None else "") for key, value in attrs}
        if tag == "form":
            self._form = ParsedForm(action=a.get("action"), method=a.get("method", "get").lower())
            self.forms.append(self._form)
            return
        form = self._form
        if form is None:
            return
        name = a.get("name", "")
        if tag == "input":
            kind = a.get("type", "text").lower()
            if "disabled" in a:
                return
            if kind == "hidden" and name:
                form.hidden[name] = a.get("value", "")
            elif kind == "radio" and name:
                form.radios.setdefault(name, []).append(a.get("value", "on"))
            elif kind == "checkbox" and name:
                form.checkboxes.setdefault(name, []).append(a.get("value", "on"))
            elif kind == "submit":
                if name and form.submit is None:
                    form.submit = (name, a.get("value", ""))
            elif kind in {"text", "number", "email", "tel", "search", ""} and name:
                form.texts[name] = a.get("value", "")
        elif tag == "button" and a.get("type", "submit").lower() == "submit":
            if name and form.submit is None:
                form.submit = (name, a.get("value", ""))
        elif tag == "select" and name:
            self._select = name
            form.selects[name] = []
        elif tag == "option" and self._select is not None:
            form.selects[self._select].append(a.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = name
            form.texts[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def parse_forms(html: str) -> list[ParsedForm]:
    """Return every form of the page in document order."""
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    return parser.forms


def answer_form(html: str, *, rng: random.Random | None = None) -> tuple[str | None, dict] | None:
    """Return (action, POST body) for the page's POST form, or None when it has none.

    Forms that only switch the language (their action is the i18n view) are not answers.
    """
    for form in parse_forms(html):
        if form.method != "post":
            continue
        if form.action and "/i18n/" in form.action:
            continue
        return form.action, form.fill(rng)
    return None
