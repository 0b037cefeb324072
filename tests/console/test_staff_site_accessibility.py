"""axe-core over every staff page a council admin, a researcher and the superuser can reach.

Each role signs in from the sign-in page and follows every link of the staff site from its
home (the navigation, the home page's own links, and so on down), checking each page
against the WCAG 2.2 AA rules of axe-core and for sideways scrolling on a 390 px screen.
The sign-in page and a form sent with errors are checked too.
"""

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings

from accounts.tokens import issue_token
from experiments.models import CouncilRole, WaveStatus
from tests.analysis.test_views import make_analysed_wave
from tests.factories import (
    ActivityFactory,
    CouncilMembershipFactory,
    MemberContactFactory,
    UserFactory,
    WaveFactory,
    WaveThemeFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE = Axe()
PASSWORD = "a-long-test-password"
STAFF_PREFIXES = ("/console/", "/results/", "/exports/")
# Not pages to audit: signing out and files to download (Django admin is not under the
# staff prefixes: it is not the staff site's).
SKIPPED = ("/console/logout/", ".csv", "/download")
# The same pages again: a download, another language of a report, the next page of a list.
SKIPPED_QUERIES = ("download=", "lang=", "page=")
MAX_PAGES = 60
PER_ROUTE = 3


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def staff(db):
    """A council with an analysed closed wave, an open and a draft wave, and a panel member."""
    closed = make_analysed_wave()
    council = closed.council
    for title, status in (("Autumn survey", WaveStatus.DRAFT), ("Summer", WaveStatus.OPEN)):
        wave = WaveFactory(council=council, title=title, status=status)
        ActivityFactory(theme=WaveThemeFactory(wave=wave, theme__council=council).theme)
    MemberContactFactory(member__council=council)
    admin = CouncilMembershipFactory(council=council, role=CouncilRole.ADMIN).user
    issue_token(admin, name="Panel system")  # the account page lists it in a table
    researcher = CouncilMembershipFactory(council=council, role=CouncilRole.RESEARCHER).user
    return {
        "admin": admin.username,
        "researcher": researcher.username,
        "superuser": UserFactory(is_superuser=True).username,
    }


def audit(page, name: str, found: dict[str, str]) -> None:
    """Record the page's WCAG 2.2 AA violations and any sideways scrolling at 390 px."""
    results = AXE.run(page, options={"runOnly": {"type": "tag", "values": WCAG_22_AA}})
    problems = [results.generate_report()] if results.violations_count else []
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    if overflow > 0:
        problems.append(f"scrolls sideways by {overflow}px at 390px")
    found[name] = "\n".join(problems)


def staff_links(page, origin: str) -> set[str]:
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    paths = set()
    for href in hrefs:
        parts = urlsplit(href)
        if f"{parts.scheme}://{parts.netloc}" != origin:
            continue
        if any(word in parts.query for word in SKIPPED_QUERIES):
            continue
        if parts.path.startswith(STAFF_PREFIXES) and not any(s in parts.path for s in SKIPPED):
            paths.add(f"{parts.path}?{parts.query}" if parts.query else parts.path)
    return paths


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/console/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def shape(path: str) -> str:
    """Return the route a path follows: its ids replaced, so that /members/7/ is /members/N/."""
    return re.sub(r"\d+", "N", path)


def crawl(page, base: str, role: str, found: dict[str, str], audited: set[str]) -> list[str]:
    """Visit the staff pages reachable by links from the home page; audit each one.

    Up to three pages of each route are visited (three waves in different states, say, but
    not every member of the panel). A page already audited for another role is visited
    again (it must open) but not audited again, except the home page, which differs most.
    """
    seen, queue, shapes = set(), ["/console/"], {}
    while queue and len(seen) < MAX_PAGES:
        path = queue.pop(0)
        if path in seen or shapes.get(shape(path), 0) >= PER_ROUTE:
            continue
        seen.add(path)
        shapes[shape(path)] = shapes.get(shape(path), 0) + 1
        response = page.goto(base + path)
        assert response.status < 400, f"{role}: {path} answered {response.status}"
        if path not in audited or path == "/console/":
            audit(page, f"{role} {path}", found)
            audited.add(path)
        queue.extend(sorted(staff_links(page, base) - seen))
    return sorted(seen)


def test_every_staff_page_has_no_wcag_22_aa_violation(chromium, live_server, staff):
    base = live_server.url
    found: dict[str, str] = {}
    visited: dict[str, list[str]] = {}
    audited: set[str] = set()
    context = chromium.new_context(viewport={"width": 390, "height": 800})
    page = context.new_page()

    # The sign-in page, clean and with an error
    page.goto(f"{base}/console/login/")
    audit(page, "sign-in", found)
    page.get_by_label("Username").fill(staff["admin"])
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    audit(page, "sign-in with an error", found)

    # Every page each role reaches by links
    for role in ("admin", "researcher", "superuser"):
        page.context.clear_cookies()
        sign_in(page, base, staff[role])
        visited[role] = crawl(page, base, role, found, audited)

    # A form sent with errors, and the enrolment of a second factor with a wrong code
    page.goto(f"{base}/console/account/")
    page.get_by_role("button", name="Make the token").click()
    page.wait_for_load_state()
    audit(page, "account with an error", found)
    page.goto(f"{base}/console/two-factor/")
    page.get_by_label("6-digit code from your authenticator app").fill("000000")
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    page.wait_for_load_state()
    audit(page, "two-step sign-in with an error", found)
    context.close()

    # Then the crawl reached each role's pages, and no page has a violation
    report = "\n\n".join(f"== {name}\n{problem}" for name, problem in found.items() if problem)
    report_file = Path(settings.VAR_DIR) / "axe-staff-site.txt"
    pages = "\n".join(sorted(found))
    report_file.write_text(f"{report or 'No violation.'}\n\n{len(found)} pages audited:\n{pages}\n")
    assert {"/console/", "/console/panel/", "/console/audit/", "/results/"} <= set(visited["admin"])
    assert {"/console/", "/results/", "/exports/", "/console/account/"} <= set(
        visited["researcher"]
    )
    assert len(visited["superuser"]) >= len(visited["admin"])
    assert any(path.startswith("/console/waves/") for path in visited["admin"])
    assert {name for name, problem in found.items() if problem} == set(), report_file.read_text()
