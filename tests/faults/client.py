"""A panel member's browser, reduced to what the fault tests need: forms and redirects.

It fills whatever form a page shows (a valid choice per radio group, hidden inputs, the
first option of each select, a year in text inputs) and submits it until a page has no
form left, so it keeps working when the questionnaire's pages change.
"""

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin

import requests

RETRYABLE = {502, 503, 504}


@dataclass
class Form:
    action: str
    method: str
    fields: list[dict] = field(default_factory=list)
    selects: dict[str, list[str]] = field(default_factory=dict)
    textareas: list[str] = field(default_factory=list)


class FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append(
                Form(
                    action=attributes.get("action", ""),
                    method=attributes.get("method", "get").lower(),
                )
            )
            return
        if not self.forms:
            return
        form = self.forms[-1]
        if tag in ("input", "button"):
            kind = attributes.get("type", "text" if tag == "input" else "submit").lower()
            form.fields.append({**attributes, "type": kind, "tag": tag})
        elif tag == "select":
            self._select = attributes.get("name", "")
            form.selects[self._select] = []
        elif tag == "option" and self._select is not None:
            form.selects[self._select].append(attributes.get("value", ""))
        elif tag == "textarea" and attributes.get("name"):
            form.textareas.append(attributes["name"])

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def answer_form(form: Form) -> list[tuple[str, str]]:
    """Return a valid submission of the form: what a member who answers everything sends."""
    data: list[tuple[str, str]] = []
    chosen: set[str] = set()
    submit = None
    for item in form.fields:
        name, kind = item.get("name", ""), item["type"]
        if kind == "submit":
            label = (name + item.get("value", "")).lower()
            if name and submit is None and "back" not in label and "prev" not in label:
                submit = (name, item.get("value", ""))
            continue
        if not name or "disabled" in item:
            continue
        if kind in ("radio", "checkbox"):
            if name not in chosen:
                chosen.add(name)
                data.append((name, item.get("value", "on")))
        elif kind == "hidden":
            data.append((name, item.get("value", "")))
        elif kind in ("text", "number", "tel", "search", ""):
            data.append((name, "1970" if "year" in name or kind == "number" else "Central"))
        elif kind == "email":
            data.append((name, "member@example.org"))
    for name, values in form.selects.items():
        options = [value for value in values if value]
        if name and options:
            data.append((name, options[0]))
    data.extend((name, "") for name in form.textareas)
    if submit is not None:
        data.append(submit)
    return data


def survey_form(html: str) -> Form | None:
    """Return the page's questionnaire form: the first POST form that is not the language switch."""
    parser = FormParser()
    parser.feed(html)
    for form in parser.forms:
        if form.method == "post" and "i18n" not in form.action:
            return form
    return None


@dataclass
class Outcome:
    acknowledged: bool = False
    statuses: list[int] = field(default_factory=list)
    retries: int = 0
    final_url: str = ""
    error: str = ""


class Respondent:
    """One member with one browser session; `complete()` answers the survey from the link."""

    def __init__(self, base_url: str, *, address: str | None = None, retry_for: float = 60.0):
        self.base_url = base_url
        self.session = requests.Session()
        if address:
            # Behind the one trusted proxy each member has an address of their own.
            self.session.headers["X-Forwarded-For"] = address
        self.retry_for = retry_for
        self.outcome = Outcome()

    def _send(self, method: str, url: str, data=None) -> requests.Response:
        """Send, retrying a 502/503/504 or a refused connection with the same body."""
        deadline = time.monotonic() + self.retry_for
        while True:
            try:
                response = self.session.request(method, url, data=data, timeout=30)
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                self.outcome.retries += 1
                time.sleep(0.5)
                continue
            self.outcome.statuses.extend(r.status_code for r in response.history)
            self.outcome.statuses.append(response.status_code)
            if response.status_code not in RETRYABLE or time.monotonic() > deadline:
                return response
            self.outcome.retries += 1
            time.sleep(min(float(response.headers.get("Retry-After", "1")), 1.0))
            if response.history:
                # The POST went through and only the page it led to failed: fetch that again.
                method, url, data = "GET", response.url, None

    def complete(self, link: str, *, max_pages: int = 50) -> Outcome:
        return self.continue_from(self._send("GET", link), max_pages=max_pages)

    def first_page(self, link: str) -> tuple[str, list[tuple[str, str]]]:
        """Open the link; return where the first form posts to and a valid answer to it."""
        response = self._send("GET", link)
        form = survey_form(response.text)
        assert form is not None, (response.status_code, response.url)
        return urljoin(response.url, form.action or response.url), answer_form(form)

    def post_twice(self, action: str, data, *, concurrent: bool) -> list[requests.Response]:
        """Send the same form twice, at once (two connections) or one after the other."""

        def post(_=None) -> requests.Response:
            twin = requests.Session()
            twin.headers.update(self.session.headers)
            twin.cookies.update(self.session.cookies)
            return twin.post(action, data=data, allow_redirects=False, timeout=30)

        if concurrent:
            with ThreadPoolExecutor(max_workers=2) as pool:
                return list(pool.map(post, range(2)))
        return [post(), post()]

    def follow(self, location: str) -> Outcome:
        return self.continue_from(self._send("GET", urljoin(self.base_url, location)))

    def continue_from(self, response: requests.Response, *, max_pages: int = 50) -> Outcome:
        for _ in range(max_pages):
            if response.status_code != 200:
                break
            form = survey_form(response.text)
            if form is None:
                self.outcome.acknowledged = True
                break
            action = urljoin(response.url, form.action or response.url)
            response = self._send("POST", action, data=answer_form(form))
        self.outcome.final_url = response.url
        return self.outcome
