"""Stored XSS: admin-written texts and imported panel fields rendered in headless Chromium.

Every payload calls `__xss(n)` if it ever runs. An init script defines that sentinel,
records `securitypolicyviolation` events, and the page's console and dialogs are watched.
Each page is also searched for elements carrying inline event handlers or inline scripts,
which the platform's own pages never have: finding one means a payload was injected as
markup even though the CSP stopped it from running.
"""

import csv
import io
from dataclasses import dataclass, field

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from audit.log import record_action
from experiments.invitations import issue_invitation
from experiments.models import CouncilRole, Item, ItemWording, WaveStatus
from experiments.nudges import set_nudge_text
from exports import jobs
from panel.imports import check_panel_file, import_panel_file
from panel.models import PanelMember, PanelUpload
from tests.factories import (
    ActivityFactory,
    CouncilFactory,
    CouncilMembershipFactory,
    PanelMemberFactory,
    ThemeFactory,
    UserFactory,
    WaveFactory,
    WaveThemeFactory,
)
from tests.security.xss_payloads import PAYLOADS, QUICK

SENTINEL = """
window.__xssHits = [];
window.__xss = function (n) { window.__xssHits.push(String(n)); };
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push([e.violatedDirective, e.blockedURI, e.sourceFile, e.lineNumber, e.sample]);
});
"""

# Elements the platform never writes itself: inline handlers, inline scripts, js: URLs.
INJECTED = """
() => {
  let found = [];
  for (const el of document.querySelectorAll("*")) {
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase(), value = attr.value.trim().toLowerCase();
      if (name.startsWith("on") || name === "style" || name === "srcdoc" ||
          (["href", "src", "action", "formaction", "xlink:href", "data"].includes(name) &&
           value.startsWith("javascript:"))) {
        found.push(el.tagName + " " + name);
      }
    }
    if (el.tagName === "SCRIPT" && !el.src && el.type !== "application/json") {
      found.push("inline SCRIPT");
    }
  }
  return found;
}
"""


@dataclass
class Sweep:
    pages: list[str] = field(default_factory=list)
    executed: list[tuple[str, str]] = field(default_factory=list)
    dialogs: list[tuple[str, str]] = field(default_factory=list)
    violations: list[tuple[str, object]] = field(default_factory=list)
    injected: list[tuple[str, list[str]]] = field(default_factory=list)

    def visit(self, page, url: str) -> None:
        page.seen_console.clear()
        response = page.goto(url)
        assert response is not None, url
        assert response.status == 200, (url, response.status)
        page.wait_for_timeout(150)
        self.pages.append(url)
        self.executed += [(url, hit) for hit in page.evaluate("window.__xssHits")]
        self.violations += [(url, v) for v in page.evaluate("window.__csp")]
        self.violations += [
            (url, text) for text in page.seen_console if "Content Security Policy" in text
        ]
        self.dialogs += [(url, text) for text in page.seen_dialogs]
        page.seen_dialogs.clear()
        injected = page.evaluate(INJECTED)
        if injected:
            self.injected.append((url, injected))


def new_page(browser, base_url: str, session_key: str | None = None):
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    context.add_init_script(SENTINEL)
    if session_key:
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session_key, "url": base_url}]
        )
    page = context.new_page()
    page.seen_console, page.seen_dialogs = [], []
    page.on("console", lambda message: page.seen_console.append(message.text))

    def on_dialog(dialog):
        page.seen_dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return context, page


def signed_in(browser, base_url: str, user):
    client = Client()
    client.force_login(user)
    return new_page(browser, base_url, client.cookies[settings.SESSION_COOKIE_NAME].value)


def _fits(payloads: list[str], limit: int) -> list[str]:
    return [p for p in payloads if len(p) <= limit]


def plant(payloads: list[str]) -> dict:
    """Store the payloads in every admin-written text and imported panel field."""
    short = _fits(payloads, 100)
    council = CouncilFactory(name=f"Cyngor {_fits(payloads, 190)[0]}")
    admin = CouncilMembershipFactory(role=CouncilRole.ADMIN, council=council).user
    superuser = UserFactory(is_superuser=True, is_staff=True)
    chunks = [payloads[i : i + 25] for i in range(0, len(payloads), 25)]
    open_wave = WaveFactory(council=council, title=_fits(payloads, 200)[-1])
    closed_wave = WaveFactory(
        council=council,
        title=_fits(payloads, 200)[1],
        status=WaveStatus.CLOSED,
        closed_at=timezone.now(),
    )
    themes = []
    for chunk in chunks:
        names = _fits(chunk, 200) or ["Theme"]
        theme = ThemeFactory(council=council, name_en=names[0], name_cy=names[-1])
        themes.append(theme)
        for n, text in enumerate(chunk):
            ActivityFactory(theme=theme, text_en=text, text_cy=chunk[-1 - n])
        for wave in (open_wave, closed_wave):
            WaveThemeFactory(wave=wave, theme=theme)
            for nudge, offset in (("a", 0), ("b", 1)):
                set_nudge_text(
                    wave,
                    theme=theme,
                    nudge=nudge,
                    text_en=" ".join(chunk[offset::2]),
                    text_cy=chunk[-1 - offset],
                )
            for n, item in enumerate(Item.values):
                ItemWording.objects.create(
                    wave=wave,
                    theme=theme,
                    item=item,
                    text_en=chunk[n % len(chunk)],
                    text_cy=chunk[-1 - n % len(chunk)],
                )

    # The panel: a clean file imported, and a file whose dry run lists problems.
    importable = [p for p in short if p[0] not in "=+-@\t\r" and p.strip() == p]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["external_id", "email", "name", "ward", "household_key", "gender"])
    for n, text in enumerate(importable):
        writer.writerow([f"X{n}-{text}"[:100], f"m{n}@example.org", text, text, text, ""])
    content = buffer.getvalue().encode()
    report = check_panel_file(content, filename="panel.csv")
    assert report.ok, report.as_dict()["problems"][:3]
    clean = PanelUpload.objects.create(
        council=council,
        uploaded_by=admin,
        filename="panel.csv",
        content=content,
        report=report.as_dict(),
    )
    import_panel_file(council, content=content, filename="panel.csv")
    clean.imported_at = timezone.now()
    clean.save()
    bad_rows = "external_id,email,name\n" + "".join(
        f'B{n},"{text.replace(chr(34), chr(34) * 2)}","{text.replace(chr(34), chr(34) * 2)}"\n'
        for n, text in enumerate(short[:30])
    )
    bad_content = bad_rows.encode()
    bad = PanelUpload.objects.create(
        council=council,
        uploaded_by=admin,
        filename=f"{short[0]}.csv"[:255],
        content=bad_content,
        report=check_panel_file(bad_content, filename="bad.csv").as_dict(),
    )
    for text in short[:20]:
        record_action(admin, action="edit_theme", council=council, summary=text)
    return {
        "council": council,
        "admin": admin,
        "superuser": superuser,
        "open_wave": open_wave,
        "closed_wave": closed_wave,
        "themes": themes,
        "uploads": [clean, bad],
        "member": PanelMember.objects.filter(council=council).order_by("pk").first(),
    }


def respondent_pages(browser, base_url: str, planted: dict, sweep: Sweep, *, members: int):
    """Open real invitations and visit every theme page of the open wave."""
    wave = planted["open_wave"]
    for _ in range(members):
        member = PanelMemberFactory(council=wave.council)
        link = issue_invitation(wave, member=member).url
        context, page = new_page(browser, base_url)
        page.goto(base_url + "/" + link.split("://", 1)[-1].split("/", 1)[1])
        page.check("input[name=consent][value=yes]")
        page.get_by_role("button", name="Continue").click()
        for number in range(1, len(planted["themes"]) + 1):
            sweep.visit(page, f"{base_url}/survey/theme/{number}/")
        sweep.visit(page, f"{base_url}/survey/theme/1/?lang=cy")
        context.close()


def preview_pages(browser, base_url: str, planted: dict, sweep: Sweep):
    context, page = signed_in(browser, base_url, planted["admin"])
    wave = planted["open_wave"]
    for theme in planted["themes"]:
        url = f"{base_url}/console/waves/{wave.pk}/themes/{theme.pk}/preview/"
        sweep.visit(page, url)
        sweep.visit(page, url + "?lang=cy")
    context.close()


def console_pages(browser, base_url: str, planted: dict, sweep: Sweep):
    context, page = signed_in(browser, base_url, planted["admin"])
    waves = (planted["open_wave"], planted["closed_wave"])
    urls = ["/console/", "/console/panel/", "/console/audit/", "/console/panel/import/"]
    urls += [f"/console/themes/{theme.pk}/" for theme in planted["themes"]]
    for wave in waves:
        urls += [f"/console/waves/{wave.pk}/", f"/console/waves/{wave.pk}/edit/"]
        urls += [
            f"/console/waves/{wave.pk}/themes/{theme.pk}/nudges/" for theme in planted["themes"]
        ]
    urls += [f"/console/panel/import/{upload.pk}/" for upload in planted["uploads"]]
    urls += [f"/console/panel/members/{planted['member'].pk}/"]
    urls += [f"/console/panel/members/{planted['member'].pk}/erase/"]
    urls += [f"/results/{wave.pk}/" for wave in waves]
    for url in urls:
        sweep.visit(page, base_url + url)
    context.close()


def staff_pages(browser, base_url: str, planted: dict, sweep: Sweep, admin_sweep: Sweep):
    """Results and exports as a superuser, and Django's admin (superusers only)."""
    wave = planted["closed_wave"]
    export = jobs.request_export(planted["superuser"], wave_ids=[wave.pk], format="csv_tidy")
    context, page = signed_in(browser, base_url, planted["superuser"])
    for url in (f"/results/{wave.pk}/", "/exports/", f"/exports/{export.pk}/"):
        sweep.visit(page, base_url + url)
    theme = planted["themes"][0]
    member = planted["member"]
    for url in (
        "/admin/",
        "/admin/experiments/council/",
        f"/admin/experiments/council/{planted['council'].pk}/change/",
        "/admin/experiments/wave/",
        f"/admin/experiments/wave/{wave.pk}/change/",
        "/admin/experiments/theme/",
        f"/admin/experiments/theme/{theme.pk}/change/",
        "/admin/panel/panelmember/",
        f"/admin/panel/panelmember/{member.pk}/change/",
        "/admin/audit/auditentry/",
    ):
        admin_sweep.visit(page, base_url + url)
    context.close()


def assert_clean(sweep: Sweep) -> None:
    assert sweep.executed == []
    assert sweep.dialogs == []
    assert sweep.violations == []
    assert sweep.injected == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_ten_payloads_run_nowhere_on_the_respondent_and_preview_pages(live_server, chromium):
    # Given one payload of each family stored in every admin-written text
    planted = plant(QUICK)
    sweep = Sweep()

    # When a member opens a real invitation and an admin opens the preview
    respondent_pages(chromium, live_server.url, planted, sweep, members=2)
    preview_pages(chromium, live_server.url, planted, sweep)

    # Then no payload ran, no CSP violation was reported and nothing was injected as markup
    assert len(sweep.pages) == 6
    assert_clean(sweep)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_sentinels_see_an_injected_payload(live_server, chromium):
    # Given a platform page open in the browser
    planted = plant(QUICK[:3])
    context, page = signed_in(chromium, live_server.url, planted["admin"])
    page.goto(f"{live_server.url}/console/")

    # When markup with a handler is injected, and the sentinel is called directly
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<img src=x onerror=__xss(7)>')")
    page.wait_for_timeout(300)
    page.evaluate("__xss('direct')")

    # Then the CSP blocked the handler and reported it, and the direct call was recorded
    assert page.evaluate("window.__xssHits") == ["direct"]
    assert [v[0] for v in page.evaluate("window.__csp")] == ["script-src-attr"]
    assert page.evaluate(INJECTED) == ["IMG onerror"]
    context.close()


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_every_payload_runs_nowhere_on_any_page(live_server, chromium, capsys):
    # Given all the payloads stored in every admin-written text and imported panel field
    planted = plant(PAYLOADS)
    sweep, admin_sweep = Sweep(), Sweep()

    # When the respondent, console, results, exports and admin pages are opened
    respondent_pages(chromium, live_server.url, planted, sweep, members=4)
    preview_pages(chromium, live_server.url, planted, sweep)
    console_pages(chromium, live_server.url, planted, sweep)
    staff_pages(chromium, live_server.url, planted, sweep, admin_sweep)

    # Then no payload ran and no page of the platform reported a CSP violation
    with capsys.disabled():
        print(  # noqa: T201  (the figures of the sweep, for the report)
            f"\nstored XSS: {len(PAYLOADS)} payloads, {len(sweep.pages)} platform pages and "
            f"{len(admin_sweep.pages)} admin pages; executed {len(sweep.executed)}, "
            f"CSP violations {len(sweep.violations)}, admin CSP violations "
            f"{len(admin_sweep.violations)}"
        )
    assert len(PAYLOADS) >= 100
    assert_clean(sweep)
    assert admin_sweep.executed == []
    # Django's admin sets a few style attributes from its own scripts (CSSOM, which the
    # CSP allows), so only its CSP reports and scripts are counted.
    assert admin_sweep.violations == []
