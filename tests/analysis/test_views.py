"""The results page: who may see it, and what it shows."""

import io
import re
from html.parser import HTMLParser

import pypdf
import pytest
from django.urls import reverse
from django.utils import translation

from analysis.models import AnalysisRun
from analysis.runs import execute_run
from analysis.synthetic import CouncilSpec, ThemeSpec, generate_council
from experiments.demo import write_synthetic_wave
from experiments.models import Response, ResponseStatus, WaveStatus
from tests.factories import (
    ActivityFactory,
    CouncilMembershipFactory,
    NudgeTextFactory,
    ThemeFactory,
    UserFactory,
    WaveFactory,
)

pytestmark = pytest.mark.django_db

SPEC = CouncilSpec(
    council="Testshire",
    respondents=80,
    experiment=True,
    themes=(ThemeSpec("Local environment", "environment", 3, 0.6, 0.2, 0.3, 0.4, time_now=0.3),),
)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Keep the PDFs made by these tests out of the project's media directory."""
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def analysed_wave():
    """A closed wave of 80 synthetic respondents with a finished analysis."""
    return make_analysed_wave()


def make_analysed_wave():
    wave = WaveFactory(status="closed")
    theme = ThemeFactory(council=wave.council, name_en="Local environment")
    for position in range(3):
        ActivityFactory(theme=theme, position=position)
    wave.wave_themes.create(theme=theme)
    NudgeTextFactory(wave=wave, theme=theme, nudge="a")
    NudgeTextFactory(wave=wave, theme=theme, nudge="b")
    write_synthetic_wave(
        wave, generate_council(SPEC, seed=2), themes={"Local environment": theme}, seed=2
    )
    execute_run(AnalysisRun.objects.create(wave=wave).pk)
    return wave


def test_a_council_admin_sees_the_five_tables_and_charts_of_their_wave(client, analysed_wave):
    membership = CouncilMembershipFactory(council=analysed_wave.council)
    client.force_login(membership.user)

    response = client.get(reverse("analysis:wave_results", args=[analysed_wave.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    for heading in ("Table 1.", "Table 2.", "Table 3.", "Table 4.", "Table 5."):
        assert heading in html
    assert html.count("<svg") == 3
    assert "KR-20" in html
    assert "Holm" in html
    assert "Benjamini–Hochberg" in html
    assert "never used as covariates for nudge effects" in html


def _invite_three_of_whom_one_starts(wave, invite):
    issued = [invite(wave) for _ in range(3)]
    Response.objects.create(
        wave=wave, member=issued[0].invitation.member, status=ResponseStatus.PARTIAL
    )


def test_a_closed_wave_without_completed_responses_says_so_instead_of_empty_tables(
    client, open_wave, invite
):
    # Given a wave closed with three members invited, one of whom started but did not finish,
    # and its analysis done over no answers
    _invite_three_of_whom_one_starts(open_wave, invite)
    open_wave.status = WaveStatus.CLOSED
    open_wave.save(update_fields=["status"])
    execute_run(AnalysisRun.objects.create(wave=open_wave).pk)
    client.force_login(CouncilMembershipFactory(council=open_wave.council).user)

    # When the admin reads its results
    response = client.get(reverse("analysis:wave_results", args=[open_wave.pk]))

    # Then the page says plainly that there is nothing yet, with no empty table
    assert response.status_code == 200
    html = response.content.decode()
    assert "There are no completed responses yet, so there are no results to show." in html
    counts = html.split('data-testid="response-counts"')[1].split("</ul>")[0]
    assert "Members invited: 3" in counts
    assert "Started without completing: 1" in counts
    assert "<table" not in html
    assert "Table 1." not in html
    assert "0 respondents" not in html


def test_an_open_wave_without_completed_responses_says_so_with_who_was_invited(
    client, open_wave, invite
):
    _invite_three_of_whom_one_starts(open_wave, invite)
    client.force_login(CouncilMembershipFactory(council=open_wave.council).user)

    html = client.get(reverse("analysis:wave_results", args=[open_wave.pk])).content.decode()

    assert "There are no completed responses yet, so there are no results to show." in html
    assert "The analysis runs when the wave closes." in html
    counts = html.split('data-testid="response-counts"')[1].split("</ul>")[0]
    assert "Members invited: 3" in counts
    assert "Started without completing: 1" in counts
    assert "<table" not in html


def test_a_member_of_another_council_gets_not_found(client, analysed_wave):
    membership = CouncilMembershipFactory()  # a role in some other council
    client.force_login(membership.user)

    response = client.get(reverse("analysis:wave_results", args=[analysed_wave.pk]))

    assert response.status_code == 404


def test_a_signed_in_non_staff_user_is_refused_and_an_anonymous_one_is_sent_to_sign_in(
    client, analysed_wave
):
    url = reverse("analysis:wave_results", args=[analysed_wave.pk])
    assert client.get(url).status_code == 302

    user = UserFactory(is_staff=False)
    CouncilMembershipFactory(user=user, council=analysed_wave.council)
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 403
    assert "cannot use the staff pages" in response.content.decode()


def test_the_report_downloads_as_an_html_file(client, analysed_wave):
    client.force_login(UserFactory(is_superuser=True))

    response = client.get(
        reverse("analysis:wave_results", args=[analysed_wave.pk]), {"download": "html"}
    )

    assert response["Content-Disposition"] == (
        f'attachment; filename="results-wave-{analysed_wave.pk}.html"'
    )


def pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_the_report_downloads_as_a_pdf_with_the_tables_and_the_waves_numbers(client, analysed_wave):
    membership = CouncilMembershipFactory(council=analysed_wave.council, role="researcher")
    client.force_login(membership.user)
    complete = Response.objects.filter(wave=analysed_wave, status="complete").count()

    response = client.get(
        reverse("analysis:wave_results", args=[analysed_wave.pk]), {"download": "pdf"}
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="results-wave-{analysed_wave.pk}.pdf"'
    )
    text = pdf_text(response.content)
    for heading in (
        "Table 1. Levels of individual and collective co-production",
        "Table 2. Time given to co-production with others",
        "Table 3. Correlates of the individual index",
        "Table 4. Correlates of the collective index",
        "Table 5. Effects of the nudges (percentage points)",
        "Balance of pre-treatment panel covariates",
    ):
        assert heading in text
    # The case row of table 1 carries the count of complete responses in the database.
    assert complete == 80
    case = f"{analysed_wave.council.name} — Local environment"
    assert f"{case} {complete}" in " ".join(text.split())
    # The charts are drawn into the PDF: their labels are text of the page.
    assert "Local environment · Individual index" in text
    assert "Download this report" not in text


def test_the_pdf_of_another_councils_wave_is_not_found(client, analysed_wave):
    membership = CouncilMembershipFactory(role="researcher")  # some other council
    client.force_login(membership.user)

    response = client.get(
        reverse("analysis:wave_results", args=[analysed_wave.pk]), {"download": "pdf"}
    )

    assert response.status_code == 404
    assert response.get("Content-Type") != "application/pdf"


def test_the_pdf_in_welsh_has_welsh_headings(client, analysed_wave):
    client.force_login(UserFactory(is_superuser=True))

    # LocaleMiddleware leaves the request's language active in this thread: restore it after.
    with translation.override("en"):
        response = client.get(
            reverse("analysis:wave_results", args=[analysed_wave.pk]),
            {"download": "pdf"},
            HTTP_ACCEPT_LANGUAGE="cy",
        )

    text = pdf_text(response.content)
    assert "Tabl 1. Lefelau cydgynhyrchu unigol a chyfunol" in text
    assert "Tabl 5. Effeithiau'r hybiau (pwyntiau canran)" in text
    assert "Diffiniadau a ddefnyddiwyd" in text
    assert "Table 1." not in text
    assert "Definitions used" not in text


def test_the_pdf_is_made_once_and_then_served_from_its_file(client, analysed_wave, tmp_path):
    client.force_login(UserFactory(is_superuser=True))
    url = reverse("analysis:wave_results", args=[analysed_wave.pk])

    first = client.get(url, {"download": "pdf"})
    (kept,) = (tmp_path / "report-pdfs").iterdir()
    assert kept.read_bytes() == first.content
    # A second download reads the kept file instead of laying the report out again
    kept.write_bytes(b"%PDF-kept")
    second = client.get(url, {"download": "pdf"})
    # while another language is another document
    with translation.override("en"):
        welsh = client.get(url, {"download": "pdf"}, HTTP_ACCEPT_LANGUAGE="cy")

    assert second.content == b"%PDF-kept"
    assert welsh.content.startswith(b"%PDF-1.")
    assert len(list((tmp_path / "report-pdfs").iterdir())) == 2


class _Text(HTMLParser):
    """Collect the visible text chunks of a page (not its style sheet or hashes)."""

    def __init__(self):
        super().__init__()
        self.chunks, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "code", "script"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("style", "code", "script"):
            self._skip -= 1

    def handle_data(self, data):
        text = " ".join(data.split())
        if text and not self._skip and re.search(r"[A-Za-z]{2}", text):
            self.chunks.append(text)


def text_chunks(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    return parser.chunks


def test_the_welsh_report_has_no_english_heading_note_label_or_sentence(client, analysed_wave):
    client.force_login(UserFactory(is_superuser=True))
    url = reverse("analysis:wave_results", args=[analysed_wave.pk])

    with translation.override("en"):
        english = client.get(url, {"lang": "en"}).content.decode()
        welsh = client.get(url, {"lang": "cy"}).content.decode()

    # Names, numbers, the panel's own ward names, the methods' own names and the words
    # Welsh shares ("Ward", "Model") read the same in both languages.
    same = {analysed_wave.title, analysed_wave.council.name, "Holm Wilson OLS KR Ward Model MDE"}
    same |= {"East North South West"}
    shared = set(text_chunks(english))
    untranslated = [
        chunk
        for chunk in text_chunks(welsh)
        if chunk in shared
        and re.sub(r"[\W\d_]+", " ", chunk).split()
        and not set(re.sub(r"[\W\d_]+", " ", chunk).split())
        <= {w for s in same for w in s.split()}
        | {"n", "p", "PDF", "HTML", "API", "A", "B", "Read", "this", "report", "in", "English"}
        | {"Panel"}  # the staff navigation: the Welsh word is the same
    ]
    assert '<html lang="cy"' in welsh
    assert "Diffiniadau a ddefnyddiwyd" in welsh
    assert untranslated == [], untranslated


def test_every_label_is_human_and_every_adjusted_p_is_visible(client, analysed_wave):
    client.force_login(UserFactory(is_superuser=True))

    with translation.override("en"):
        html = client.get(
            reverse("analysis:wave_results", args=[analysed_wave.pk]), {"lang": "en"}
        ).content.decode()

    visible = " ".join(text_chunks(html))
    for raw in ("age_band_", "gender_", "ward_", "collective_any", "_missing", "arm_a"):
        assert raw not in visible, raw
    for code in ("ab", "a", "b", "none", "individual"):
        assert f"<td>{code}</td>" not in html
    assert "Age band: 16-24" in visible
    assert "<td>No nudge</td>" in html
    # adjusted p-values are columns and lines of the tables, never hover text
    assert "title=" not in html.split("<main")[1]
    assert "<th>Adjusted p</th>" in html
    assert "adj. p" in visible
    assert "Stars: ** p < .01, * p < .05 (unadjusted p-values)." in visible
