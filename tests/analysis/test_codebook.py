"""The codebook, as a researcher opens it: every text escaped, every variable described."""

from html.parser import HTMLParser

from exports.codebook import render_codebook_html
from exports.scope import load_scope
from tests.factories import ActivityFactory, ThemeFactory, WaveFactory, WaveThemeFactory


class _Page(HTMLParser):
    """The tags and the visible text of a page, as a browser parses them."""

    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def parsed(html: bytes) -> _Page:
    page = _Page()
    page.feed(html.decode("utf-8"))
    return page


def test_the_codebook_page_shows_the_wide_prefix_as_text(db):
    wave = WaveFactory()
    WaveThemeFactory(wave=wave)

    page = parsed(render_codebook_html(load_scope([wave.pk])))

    assert "t<theme id>_" in "".join(page.text)
    assert "theme" not in page.tags


def test_text_typed_by_an_admin_is_shown_as_text_and_never_as_markup(db):
    wave = WaveFactory(title='<script>alert("wave")</script>')
    theme = ThemeFactory(
        council=wave.council, name_en="<b>Parks</b> & gardens", name_cy="<i>Parciau</i>"
    )
    WaveThemeFactory(wave=wave, theme=theme)
    ActivityFactory(theme=theme, text_en="<img src=x onerror=alert(1)>", text_cy="<u>Codi</u>")

    page = parsed(render_codebook_html(load_scope([wave.pk])))

    assert not {"script", "b", "i", "img", "u"} & set(page.tags)
    text = "".join(page.text)
    for typed in ('<script>alert("wave")</script>', "<b>Parks</b> & gardens", "<u>Codi</u>"):
        assert typed in text
