"""Every console and API route, walked by an admin of another council, answers 404.

The routes come from the URL resolver, so a route added later is walked too; a route
whose parameters this test cannot fill fails loudly and must be added to `OBJECT_FOR`.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import ApiToken
from audit.log import staff_actions
from experiments.models import (
    CouncilRole,
    Debrief,
    EmailCopy,
    InvitationBatch,
    NudgeText,
    ResponseUpload,
    Wave,
    WaveStatus,
)
from panel.models import MemberStatus, PanelMember
from tests.factories import (
    ActivityFactory,
    CouncilMembershipFactory,
    EmailDeliveryFactory,
    MemberContactFactory,
    NudgeTextFactory,
    PanelUploadFactory,
    ReminderScheduleFactory,
    WaveFactory,
    WaveThemeFactory,
)

# Namespaces walked: the console. Django's admin is for superusers only and is checked
# separately below; the respondent pages take a token, not an object id. The API's routes
# are walked with every method in tests/api/test_api_tenancy.py.
WALKED_NAMESPACES = ("console",)
PUBLIC_TOKEN_ROUTES = {"console:unsubscribe"}


def walk(patterns, prefix_namespace="", prefix_route=""):
    """Yield (qualified name, route text, parameter names) of every named route."""
    for entry in patterns:
        route = prefix_route + str(entry.pattern).lstrip("^")
        if isinstance(entry, URLResolver):
            namespace = entry.namespace or ""
            qualified = ":".join(n for n in (prefix_namespace, namespace) if n)
            yield from walk(entry.url_patterns, qualified, route)
        elif isinstance(entry, URLPattern) and entry.name:
            name = f"{prefix_namespace}:{entry.name}" if prefix_namespace else entry.name
            yield name, route, list(entry.pattern.regex.groupindex)


def walked_routes():
    """The console's routes (the API walks its own, with its own objects)."""
    return sorted(
        {
            (name, tuple(params))
            for name, _route, params in walk(get_resolver().url_patterns)
            if name.split(":")[0] in WALKED_NAMESPACES and name not in PUBLIC_TOKEN_ROUTES
        }
    )


@pytest.fixture
def other_council_objects(db):
    """A complete set of objects of council A, to be requested by an admin of council B."""
    wave = WaveFactory(status=WaveStatus.DRAFT)
    wave_theme = WaveThemeFactory(wave=wave)
    ActivityFactory(theme=wave_theme.theme)
    NudgeTextFactory(wave=wave, theme=wave_theme.theme, nudge="a")
    NudgeTextFactory(wave=wave, theme=wave_theme.theme, nudge="b")
    member = MemberContactFactory(member__council=wave.council).member
    return {
        "wave": wave,
        "theme": wave_theme.theme,
        "member": member,
        "upload": PanelUploadFactory(council=wave.council),
        "response_upload": ResponseUpload.objects.create(
            council=wave.council, wave=wave, filename="returns.csv", content=b"", report={}
        ),
        "delivery": EmailDeliveryFactory(wave=wave, member=member),
        "reminder": ReminderScheduleFactory(wave=wave),
        "council": wave.council,
        "debrief": Debrief.objects.create(wave=wave, kind="debrief", text_en="E", text_cy="C"),
        "batch": InvitationBatch.objects.create(
            wave=wave, rule="not_invited", eligible=1, member_ids=[member.pk]
        ),
        "email": EmailCopy.objects.create(
            wave=wave,
            kind="invitation",
            staff_address="officer@example.org",
            from_header="Council <panel@example.org>",
            subject="[Test] Your views",
            body="Dear Alex Morgan,",
        ),
        # A token is its user's own: another user's token is not found, as any object is.
        "token": ApiToken.objects.create(
            user=CouncilMembershipFactory(council=wave.council).user,
            prefix="sp_tenancy",
            key_hash="0" * 64,
        ),
    }


OBJECT_FOR = {
    "wave_id": "wave",
    "theme_id": "theme",
    "member_id": "member",
    "upload_id": "upload",
    "response_upload_id": "response_upload",
    "council_id": "council",
    "delivery_id": "delivery",
    "reminder_id": "reminder",
    "debrief_id": "debrief",
    "batch_id": "batch",
    "email_id": "email",
    "token_id": "token",
}


def fill(name: str, params: tuple[str, ...], objects) -> dict:
    kwargs = {}
    for param in params:
        if param == "format":
            kwargs[param] = "json"
        elif param in OBJECT_FOR:
            kwargs[param] = objects[OBJECT_FOR[param]].pk
        elif param == "pk":
            # A router route: the object is named by the route, e.g. "api:wave-detail".
            model = name.split(":")[-1].split("-")[0]
            assert model in objects, f"Add the object of route {name} to the fixture."
            kwargs[param] = objects[model].pk
        else:
            raise AssertionError(f"Route {name} has a parameter {param!r} this test cannot fill.")
    return kwargs


def test_the_walk_covers_the_console_routes():
    names = {name for name, _ in walked_routes()}

    assert {"console:wave", "console:preview", "console:member", "console:links_csv"} <= names


@pytest.mark.django_db
def test_every_object_route_answers_404_to_an_admin_of_another_council(
    client, other_council_objects
):
    # Given an admin of council B and council A's objects
    intruder = CouncilMembershipFactory(role=CouncilRole.ADMIN).user
    client.force_login(intruder)
    wave = other_council_objects["wave"]
    object_routes = [(n, p) for n, p in walked_routes() if p]
    assert len(object_routes) >= 10

    # When every object route is requested with council A's ids, by GET and by POST
    answers = {}
    for name, params in object_routes:
        url = reverse(name, kwargs=fill(name, params, other_council_objects))
        answers[name] = (
            client.get(url).status_code,
            client.post(url, {"confirm": "on"}).status_code,
        )

    # Then each answers 404 (or 405 for a method the route does not take, never 403 or 200)
    for name, (get_status, post_status) in answers.items():
        assert {get_status, post_status} <= {404, 405}, (name, get_status, post_status)
        assert 404 in (get_status, post_status), name
    # and nothing of council A changed
    wave.refresh_from_db()
    assert wave.status == WaveStatus.DRAFT
    assert NudgeText.objects.filter(wave=wave).count() == 2
    assert (
        PanelMember.objects.get(pk=other_council_objects["member"].pk).status == MemberStatus.ACTIVE
    )
    assert staff_actions().count() == 0


@pytest.mark.django_db
def test_list_pages_show_nothing_of_another_council(client, other_council_objects):
    # Given an admin of council B
    intruder = CouncilMembershipFactory(role=CouncilRole.ADMIN).user
    client.force_login(intruder)

    # When they open the list pages
    pages = [client.get(reverse(f"console:{n}")) for n in ("home", "panel", "audit")]

    # Then none mentions council A's wave, theme, member or contact
    a = other_council_objects
    for page in pages:
        body = page.content.decode()
        assert page.status_code == 200
        for secret in (
            a["wave"].title,
            a["theme"].name_en,
            a["member"].external_id,
            a["member"].contact.email,
        ):
            assert secret not in body


@pytest.mark.django_db
def test_djangos_admin_is_closed_to_council_staff(client, other_council_objects):
    # Given a staff user who is admin of a council (not a superuser)
    user = CouncilMembershipFactory(role=CouncilRole.ADMIN).user
    client.force_login(user)
    wave = other_council_objects["wave"]

    # When they open Django's admin
    index = client.get("/admin/")
    change = client.get(f"/admin/experiments/wave/{wave.pk}/change/")

    # Then they are sent to the admin login, and see no wave
    assert index.status_code == 302
    assert change.status_code == 302
    assert change["Location"].startswith("/admin/login/")
    assert Wave.objects.get(pk=wave.pk).title not in client.get(change["Location"]).content.decode()


@pytest.mark.django_db
def test_the_same_routes_answer_their_own_councils_admin(client, other_council_objects):
    # Given an admin of council A itself (the control for the test above)
    owner = CouncilMembershipFactory(
        role=CouncilRole.ADMIN, council=other_council_objects["council"]
    )
    client.force_login(owner.user)

    # When every object route is read by GET
    statuses = {
        name: client.get(
            reverse(name, kwargs=fill(name, params, other_council_objects))
        ).status_code
        for name, params in walked_routes()
        if params
    }

    # Then none is hidden from its own council
    assert {name for name, status in statuses.items() if status == 404} == set()
