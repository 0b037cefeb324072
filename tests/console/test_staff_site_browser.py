"""The staff site in headless Chromium, from the sign-in page, with links and buttons only.

A researcher opens a closed wave's results and downloads the PDF report and a Stata file;
the superuser reaches Django admin and a council's console. Each step is screenshotted at
390 px (a phone) and 1280 px into var/screenshots/, for checking by eye.
"""

from pathlib import Path

import pytest
from django.conf import settings

from experiments.models import CouncilRole, WaveStatus
from tests.analysis.test_views import make_analysed_wave
from tests.factories import CouncilFactory, CouncilMembershipFactory, UserFactory, WaveFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-test-password"
WIDTHS = [390, 1280]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def screenshots() -> Path:
    folder = Path(settings.VAR_DIR) / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def shot(page, name: str) -> None:
    width = page.viewport_size["width"]
    page.screenshot(path=str(screenshots() / f"{name}-{width}.png"), full_page=True)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {width}px"


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/console/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def follow_menu(page, name: str) -> None:
    """Click an item of the service navigation, opening the menu first on a narrow screen."""
    toggle = page.get_by_role("button", name="Menu")
    if toggle.is_visible():
        toggle.click()
    page.get_by_role("navigation", name="Menu").get_by_role("link", name=name).click()


@pytest.mark.parametrize("width", WIDTHS)
def test_a_researcher_opens_a_closed_waves_results_and_downloads_the_pdf_and_a_stata_file(
    chromium, live_server, width
):
    from playwright.sync_api import expect

    # Given a closed, analysed wave and a researcher of its council
    wave = make_analysed_wave()
    researcher = CouncilMembershipFactory(
        council=wave.council, role=CouncilRole.RESEARCHER, user__username="researcher"
    ).user
    context = chromium.new_context(viewport={"width": width, "height": 900}, accept_downloads=True)
    page = context.new_page()

    # When they sign in
    sign_in(page, live_server.url, researcher.username)
    expect(page.get_by_role("heading", name="Results and exports", level=1)).to_be_visible()
    shot(page, "researcher-01-home")

    # and open the results from the navigation, then the wave's report
    follow_menu(page, "Results")
    expect(page.get_by_role("heading", name="Results", level=1)).to_be_visible()
    shot(page, "researcher-02-results-list")
    page.get_by_role("link", name=wave.title, exact=True).click()
    expect(page.get_by_role("heading", name=f"{wave.title} — {wave.council.name}")).to_be_visible()
    page.screenshot(path=str(screenshots() / f"researcher-03-results-{width}.png"))
    shot_overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")

    # and download the report as a PDF
    with page.expect_download() as pdf:
        page.get_by_role("link", name="Download this report (PDF)").click()
    pdf_bytes = Path(pdf.value.path()).read_bytes()

    # and ask for the data as a Stata file, then download it
    page.get_by_role("link", name="Export the data (CSV, Stata, SPSS)").click()
    expect(page.get_by_label(wave.title)).to_be_checked()
    page.get_by_label("Stata (.dta)").check()
    shot(page, "researcher-04-export-form")
    page.get_by_role("button", name="Request the export").click()
    download_link = page.get_by_role("link", name="Download the file")
    expect(download_link).to_be_visible(timeout=60_000)
    shot(page, "researcher-05-export-ready")
    with page.expect_download() as stata:
        download_link.click()
    stata_bytes = Path(stata.value.path()).read_bytes()
    context.close()

    # Then the results page fits the screen, the PDF is a PDF and the Stata file a Stata file
    assert shot_overflow <= 0
    assert pdf.value.suggested_filename == f"results-wave-{wave.pk}.pdf"
    assert pdf_bytes[:5] == b"%PDF-"
    assert stata.value.suggested_filename.endswith(".dta")
    assert stata_bytes[:11] == b"<stata_dta>"


@pytest.mark.parametrize("width", WIDTHS)
def test_the_superuser_reaches_django_admin_and_a_councils_console(chromium, live_server, width):
    from playwright.sync_api import expect

    # Given two councils with waves, and the platform's superuser
    avon, brent = CouncilFactory(name="Avon"), CouncilFactory(name="Brent")
    WaveFactory(council=avon, title="Avon spring", status=WaveStatus.CLOSED)
    WaveFactory(council=brent, title="Brent autumn", status=WaveStatus.DRAFT)
    UserFactory(username="root", is_superuser=True)
    context = chromium.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()

    # When they sign in, they see every council
    sign_in(page, live_server.url, "root")
    expect(page.get_by_role("heading", name="Council console", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Avon")).to_be_visible()
    expect(page.get_by_role("heading", name="Brent")).to_be_visible()
    shot(page, "superuser-01-home")

    # and reach Django admin from there
    page.get_by_role("link", name="Open Django admin").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    page.screenshot(path=str(screenshots() / f"superuser-02-django-admin-{width}.png"))

    # and come back to the staff site and open a council's wave in its console
    page.get_by_role("link", name="View site").click()
    page.get_by_role("link", name="Brent autumn", exact=True).click()
    expect(page.get_by_role("heading", name="Brent autumn", level=1)).to_be_visible()
    shot(page, "superuser-03-council-wave")
    context.close()
