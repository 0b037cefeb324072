"""One staff site: a home per role, navigation that offers only what the roles allow, the
results list, the account page (API tokens, recovery codes), UK dates and the API root."""

import re
from datetime import UTC, datetime

import pytest
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import ApiToken
from accounts.recovery import make_recovery_codes
from experiments.models import CouncilRole, WaveStatus
from tests.factories import CouncilFactory, CouncilMembershipFactory, UserFactory, WaveFactory

NAV = re.compile(r'class="govuk-service-navigation__link" href="([^"]+)"')


def nav_links(page) -> list[str]:
    return NAV.findall(page.content.decode())


@pytest.fixture
def two_councils(db):
    """Council A with a draft, an open and a closed wave; council B with a closed wave."""
    a, b = CouncilFactory(name="Avon"), CouncilFactory(name="Brent")
    return {
        "a": a,
        "b": b,
        "draft": WaveFactory(council=a, title="Avon draft", status=WaveStatus.DRAFT),
        "open": WaveFactory(
            council=a,
            title="Avon open",
            status=WaveStatus.OPEN,
            closes_at=datetime(2026, 11, 17, 23, 32, tzinfo=UTC),
        ),
        "closed": WaveFactory(
            council=a,
            title="Avon closed",
            status=WaveStatus.CLOSED,
            closed_at=datetime(2026, 3, 2, 9, 5, tzinfo=UTC),
        ),
        "other": WaveFactory(council=b, title="Brent closed", status=WaveStatus.CLOSED),
    }


def test_a_researcher_lands_on_the_results_and_exports_of_their_councils(client, two_councils):
    # Given a researcher of council A
    researcher = CouncilMembershipFactory(council=two_councils["a"], role=CouncilRole.RESEARCHER)
    client.force_login(researcher.user)

    # When they open the staff site's home
    page = client.get(reverse("console:home"))

    # Then they see council A's closed wave with its results, report and export, and no draft
    body = page.content.decode()
    closed = two_councils["closed"].pk
    assert page.status_code == 200
    assert "Results and exports" in body
    assert f'href="/results/{closed}/"' in body
    assert f'href="/results/{closed}/?download=pdf"' in body
    assert f'href="/exports/?wave={closed}"' in body
    assert "Avon draft" not in body
    assert "Brent closed" not in body


def test_a_council_admin_sees_waves_by_status_with_their_next_action(client, two_councils):
    admin = CouncilMembershipFactory(council=two_councils["a"], role=CouncilRole.ADMIN)
    client.force_login(admin.user)

    body = client.get(reverse("console:home")).content.decode()

    assert body.index("Open waves") < body.index("Draft waves") < body.index("Closed waves")
    assert "Next: finish its themes, nudges and wording, preview it, then open it." in body
    assert "Next: follow the responses, send reminders, then close it." in body
    assert f'href="/results/{two_councils["closed"].pk}/"' in body
    # Council admins read results but do not export member-level data
    assert "/exports/?wave=" not in body
    assert "Brent closed" not in body


def test_the_superuser_sees_every_council_and_django_admin(client, two_councils):
    client.force_login(UserFactory(is_superuser=True))

    page = client.get(reverse("console:home"))

    body = page.content.decode()
    assert page.status_code == 200
    assert "Avon closed" in body
    assert "Brent closed" in body
    assert 'href="/admin/"' in body


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (
            CouncilRole.ADMIN,
            [
                "/console/",
                "/console/panel/",
                "/console/emails/",
                "/results/",
                "/console/audit/",
                "/console/account/",
            ],
        ),
        (CouncilRole.RESEARCHER, ["/console/", "/results/", "/exports/", "/console/account/"]),
        (
            "superuser",
            [
                "/console/",
                "/console/panel/",
                "/console/emails/",
                "/results/",
                "/exports/",
                "/console/audit/",
                "/console/account/",
                "/admin/",
            ],
        ),
    ],
)
def test_the_navigation_offers_what_the_roles_allow_and_every_link_opens(
    client, two_councils, role, expected
):
    # Given a user of each role
    if role == "superuser":
        user = UserFactory(is_superuser=True)
    else:
        user = CouncilMembershipFactory(council=two_councils["a"], role=role).user
    client.force_login(user)

    # When they follow every link of the navigation, and of the home page
    links = nav_links(client.get(reverse("console:home")))
    home = client.get(reverse("console:home")).content.decode()
    on_home = {
        href
        for href in re.findall(r'href="(/[^"#]*)"', home)
        if not href.startswith(("/static/", "/api/"))
    }
    statuses = {href: client.get(href).status_code for href in set(links) | on_home}

    # Then the navigation holds exactly their pages, and none answers 403 (or fails)
    assert links == expected
    assert {href: s for href, s in statuses.items() if s not in (200, 302)} == {}


def test_the_results_list_shows_the_closed_waves_of_the_users_councils_only(client, two_councils):
    researcher = CouncilMembershipFactory(council=two_councils["a"], role=CouncilRole.RESEARCHER)
    client.force_login(researcher.user)

    page = client.get(reverse("analysis:results"))

    body = page.content.decode()
    assert page.status_code == 200
    assert "Avon closed" in body
    assert "Closed 2 March 2026." in body
    assert "Avon open" not in body
    assert "Brent closed" not in body


def test_staff_pages_give_uk_dates(client, two_councils):
    admin = CouncilMembershipFactory(council=two_councils["a"], role=CouncilRole.ADMIN)
    client.force_login(admin.user)

    english = client.get(reverse("console:home")).content.decode()
    welsh = client.get(reverse("console:home"), headers={"accept-language": "cy"})

    # 23:32 UTC on 17 November is 23:32 in London (GMT)
    assert "Open until 17 November 2026, 23:32." in english
    assert "Nov. 17" not in english
    assert "p.m." not in english
    assert "17 Tachwedd 2026, 23:32" in welsh.content.decode()


def test_a_token_made_on_the_account_page_is_shown_once_and_listed_by_its_prefix(client, db):
    user = CouncilMembershipFactory(role=CouncilRole.RESEARCHER).user
    client.force_login(user)

    made = client.post(reverse("console:token_create"), {"name": "R scripts", "expires": "90"})
    later = client.get(reverse("console:account"))

    key = re.search(r'id="new-key">(sp_[^<]+)<', made.content.decode()).group(1)
    token = ApiToken.objects.get(user=user)
    assert token.name == "R scripts"
    assert 89 <= (token.expires_at - token.created_at).days <= 90
    assert key not in later.content.decode()
    assert f"{token.prefix}…" in later.content.decode()


def test_a_token_without_a_name_is_refused_with_an_error_and_nothing_made(client, db):
    client.force_login(CouncilMembershipFactory().user)

    answer = client.post(reverse("console:token_create"), {"name": "", "expires": "90"})

    assert answer.status_code == 400
    assert "Enter a name for the token." in answer.content.decode()
    assert ApiToken.objects.count() == 0


def test_revoking_from_the_account_page_stops_the_token(client, db):
    user = CouncilMembershipFactory().user
    client.force_login(user)
    client.post(reverse("console:token_create"), {"name": "old", "expires": "never"})
    token = ApiToken.objects.get()

    answer = client.post(reverse("console:token_revoke", args=[token.pk]))

    token.refresh_from_db()
    assert answer.status_code == 302
    assert token.revoked_at is not None
    assert "Revoked" in client.get(reverse("console:account")).content.decode()


def test_the_verify_page_takes_a_recovery_code_once(client, db):
    # Given an enrolled admin with recovery codes, signed in with the password only
    user = CouncilMembershipFactory().user
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    code = make_recovery_codes(user)[0]
    client.force_login(user)
    verify = reverse("console:verify") + "?next=/console/"

    # When they enter a recovery code, sign in again later, and enter the same code
    first = client.post(verify, {"token": code})
    client.logout()
    client.force_login(user)
    again = client.post(verify, {"token": code})

    # Then it opens the staff site the first time only
    assert first.status_code == 302
    assert first["Location"] == "/console/"
    assert again.status_code == 400
    assert client.get("/console/").status_code == 302


def test_recovery_codes_are_made_again_from_the_account_page(client, db):
    user = CouncilMembershipFactory().user
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()

    page = client.post(reverse("console:recovery_codes"))

    codes = re.findall(r'<code class="app-secret">([a-z0-9-]+)</code>', page.content.decode())
    assert len(codes) == 10
    assert "10 unused recovery codes" in client.get(reverse("console:account")).content.decode()


def test_the_api_root_lists_its_resources(client, db):
    client.force_login(CouncilMembershipFactory().user)

    body = client.get("/api/v1/").json()

    assert set(body["resources"]) >= {"councils", "waves", "exports", "analysis-runs"}
    assert body["resources"]["waves"]["url"] == "http://testserver/api/v1/waves/"
    assert body["docs"] == "http://testserver/api/docs/"
