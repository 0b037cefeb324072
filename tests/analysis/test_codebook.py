"""The codebook, as a researcher opens it: every text escaped, every variable described."""

from html.parser import HTMLParser

from django.utils import translation

from experiments.models import ThemeKind
from experiments.questionnaires import DEFAULT_WORDING
from exports.codebook import codebook_rows, render_codebook_html
from exports.scope import load_scope
from tests.factories import (
    ActivityFactory,
    ItemWordingFactory,
    ThemeFactory,
    WaveFactory,
    WaveThemeFactory,
)


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


def codebook_rows_of(wave) -> list[dict[str, str]]:
    return codebook_rows(load_scope([wave.pk]))


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


def test_the_codebook_gives_each_variables_measure_and_missing_codes(db):
    wave = WaveFactory(time_questions="now")
    WaveThemeFactory(wave=wave)

    rows = {(row["file"], row["variable"], row["theme"]): row for row in codebook_rows_of(wave)}

    efficacy = rows[("tidy", "efficacy", "")]
    assert efficacy["measure"] == "ordinal"
    assert efficacy["missing_en"] == "9 = Don't know (Stata .a)"
    assert efficacy["missing_cy"] == "9 = Ddim yn gwybod (Stata .a)"
    gender = rows[("tidy", "gender", "")]
    assert (gender["measure"], gender["missing_en"]) == (
        "nominal",
        "4 = Prefer not to say (Stata .b)",
    )
    assert rows[("tidy", "time_more", "")]["missing_en"] == "-1 = Not asked (Stata .c)"
    assert rows[("tidy", "individual_index", "")]["measure"] == "scale"
    assert rows[("tidy", "collective", "")]["missing_en"] == ""


def test_the_codebook_lists_each_themes_wording_with_the_waves_that_asked_it(db):
    # Given a theme asked in two waves, one of which reworded the collective question
    spring = WaveFactory(title="Spring", status="draft")
    theme = ThemeFactory(council=spring.council, kind=ThemeKind.HEALTH, name_en="Health")
    autumn = WaveFactory(council=spring.council, title="Autumn", status="draft")
    for wave in (spring, autumn):
        WaveThemeFactory(wave=wave, theme=theme)
    ItemWordingFactory(wave=autumn, theme=theme, text_en="Do you join groups?")

    rows = [
        row
        for row in codebook_rows(load_scope([spring.pk, autumn.pk]))
        if row["file"] == "tidy" and row["variable"] == "collective" and row["theme"]
    ]

    # Then each wording appears once, with the waves that asked it
    with translation.override("en"):
        default = str(DEFAULT_WORDING[ThemeKind.HEALTH]["collective"])
    assert [(row["question_en"], row["waves"]) for row in rows] == [
        (default, "Spring"),
        ("Do you join groups?", "Autumn"),
    ]
    # And the wide file's column, asked in two wordings, names the theme in the common one
    wide = next(
        row
        for row in codebook_rows(load_scope([spring.pk, autumn.pk]))
        if row["variable"] == f"t{theme.pk}_collective"
    )
    assert wide["question_en"] == (
        "How often do you work with other people in groups to improve health?"
    )


def test_the_codebook_page_explains_the_missing_codes_in_welsh_too(db):
    wave = WaveFactory()
    WaveThemeFactory(wave=wave)

    with translation.override("cy"):
        page = parsed(render_codebook_html(load_scope([wave.pk])))

    text = "".join(page.text)
    assert "Heb ei ofyn" in text
    assert "(.a Ddim yn gwybod" in text
