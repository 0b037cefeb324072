"""Text that goes into an e-mail header is one line, refused with a clear error on input.

A wave's title is the subject of its invitations, reminders and debriefs, and a council's
name may sign them; a line break there would add headers ("Bcc: …") or, since Django
refuses it at send time, fail every e-mail of the wave long after the title was saved.
The model fields refuse it, so forms, the API and Django admin all do.
"""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.tokens import issue_token
from experiments.models import Council, CouncilRole, Wave, WaveStatus
from tests.factories import (
    CouncilFactory,
    CouncilMembershipFactory,
    ThemeFactory,
    UserFactory,
    WaveFactory,
)

MESSAGE = "This text goes into e-mail headers, so it must be one line: remove the line break."
BROKEN = [
    "Spring survey\r\nBcc: everyone@example.org",
    "Spring survey\nBcc: everyone@example.org",
    "Spring survey\rBcc: everyone@example.org",
    "Spring survey\u2028Bcc: everyone@example.org",
    "Arolwg y gwanwyn\x85Bcc: pawb@example.org",
]


@pytest.mark.parametrize("title", BROKEN)
def test_a_wave_title_with_a_line_break_is_refused_by_the_model(title, db):
    wave = WaveFactory.build(council=CouncilFactory(), title=title)

    with pytest.raises(ValidationError) as refused:
        wave.full_clean()

    assert refused.value.message_dict["title"] == [MESSAGE]


def test_a_council_name_with_a_line_break_is_refused_by_the_model(db):
    council = Council(name="Cyngor Sir\r\nBcc: x@example.org", slug="cyngor-sir")

    with pytest.raises(ValidationError) as refused:
        council.full_clean()

    assert refused.value.message_dict["name"] == [MESSAGE]


@pytest.mark.django_db
def test_the_console_refuses_a_wave_title_with_a_line_break(client):
    membership = CouncilMembershipFactory(role=CouncilRole.ADMIN)
    theme = ThemeFactory(council=membership.council)
    client.force_login(membership.user)

    response = client.post(
        reverse("console:wave_create"),
        {"council": membership.council.pk, "title": BROKEN[0], "themes": [theme.pk]},
    )

    assert response.status_code == 400
    assert MESSAGE in response.content.decode()
    assert Wave.objects.count() == 0


@pytest.mark.django_db
def test_the_api_refuses_a_wave_title_with_a_line_break_and_keeps_the_old_one():
    membership = CouncilMembershipFactory(role=CouncilRole.ADMIN)
    wave = WaveFactory(council=membership.council, status=WaveStatus.DRAFT, title="Spring")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(membership.user).key}")

    response = api.patch(f"/api/v1/waves/{wave.pk}/", {"title": BROKEN[1]}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["fields"]["title"] == [MESSAGE]
    wave.refresh_from_db()
    assert wave.title == "Spring"


@pytest.mark.django_db
def test_django_admin_refuses_a_council_name_or_wave_title_with_a_line_break(client):
    admin = UserFactory(username="root", is_superuser=True)
    council = CouncilFactory(name="Cyngor Gwynedd", slug="gwynedd")
    wave = WaveFactory(council=council, status=WaveStatus.DRAFT, title="Spring")
    client.force_login(admin)

    council_page = client.post(
        reverse("admin:experiments_council_change", args=[council.pk]),
        {"name": BROKEN[0], "slug": "gwynedd", "nation": "wales"},
    )
    wave_page = client.get(reverse("admin:experiments_wave_change", args=[wave.pk]))

    assert council_page.status_code == 200
    assert MESSAGE in council_page.content.decode()
    council.refresh_from_db()
    assert council.name == "Cyngor Gwynedd"
    # The wave's admin form, sent back as shown with only the title changed
    shown = wave_page.context["adminform"].form
    data = {name: shown[name].value() for name in shown.fields}
    data["title"] = BROKEN[2]
    sent = type(shown)(data={k: v for k, v in data.items() if v is not None}, instance=wave)
    assert not sent.is_valid()
    assert sent.errors["title"] == [MESSAGE]
