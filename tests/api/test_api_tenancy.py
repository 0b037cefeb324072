"""Every API route, called with every method by an admin of another council, answers 404.

The routes come from the URL resolver (the console's walk), so a route added later is
walked too; a route whose object this test cannot name fails loudly.
"""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.tokens import issue_token
from analysis.models import AnalysisRun
from audit.models import AuditEntry
from experiments.models import (
    Activity,
    CouncilRole,
    Invitation,
    NudgeText,
    ResponseUpload,
    Theme,
    Wave,
    WaveTheme,
)
from exports.models import Export
from panel.models import MemberContact, PanelMember, PanelUpload
from tests.console.test_tenancy_routes import walk
from tests.factories import (
    ActivityFactory,
    CouncilMembershipFactory,
    MemberContactFactory,
    NudgeTextFactory,
    PanelUploadFactory,
    WaveFactory,
    WaveThemeFactory,
)

METHODS = ("get", "post", "put", "patch", "delete")
# The object each route family names, by the route's basename.
OBJECT_OF_ROUTE = {
    "council": "council",
    "theme": "theme",
    "activity": "activity",
    "wave": "wave",
    "analysis-run": "run",
    "panel-import": "upload",
    "response-import": "response_upload",
    "export": "export",
}


def api_routes():
    from django.urls import get_resolver

    return sorted(
        {
            (name, tuple(params))
            for name, _route, params in walk(get_resolver().url_patterns)
            if name.startswith("api:")
        }
    )


def object_for(name: str, objects):
    basename = name.removeprefix("api:").rsplit("-", 1)[0]
    assert basename in OBJECT_OF_ROUTE, f"Add the object of route {name} to OBJECT_OF_ROUTE."
    return objects[OBJECT_OF_ROUTE[basename]]


def snapshot():
    """Every row an API call could change, as plain values."""
    return {
        model.__name__: sorted(map(repr, model.objects.values_list()))
        for model in (
            Wave,
            WaveTheme,
            Theme,
            Activity,
            NudgeText,
            Invitation,
            PanelMember,
            MemberContact,
            PanelUpload,
            ResponseUpload,
            AnalysisRun,
            AuditEntry,
            Export,
        )
    }


@pytest.fixture
def council_a(db):
    """Council A's objects: an open wave with a theme, an activity, nudges, a member, an export."""
    wave = WaveFactory()
    wave_theme = WaveThemeFactory(wave=wave)
    activity = ActivityFactory(theme=wave_theme.theme)
    NudgeTextFactory(wave=wave, theme=wave_theme.theme, nudge="a")
    NudgeTextFactory(wave=wave, theme=wave_theme.theme, nudge="b")
    member = MemberContactFactory(member__council=wave.council).member
    return {
        "council": wave.council,
        "wave": wave,
        "theme": wave_theme.theme,
        "activity": activity,
        "member": member,
        "run": AnalysisRun.objects.create(wave=wave),
        "upload": PanelUploadFactory(council=wave.council),
        "response_upload": ResponseUpload.objects.create(
            council=wave.council, wave=wave, filename="returns.csv", content=b"", report={}
        ),
        "export": Export.objects.create(
            format="csv_tidy",
            wave_ids=[wave.pk],
            council_ids=[wave.council_id],
            input_hash="0" * 64,
        ),
    }


@pytest.fixture
def intruder(db):
    """A token client of an admin of council B."""
    user = CouncilMembershipFactory(user__password=None, role=CouncilRole.ADMIN).user
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(user).key}")
    return client


def test_the_walk_covers_every_api_family():
    names = {name for name, _ in api_routes()}

    assert {
        "api:council-detail",
        "api:theme-detail",
        "api:activity-detail",
        "api:wave-detail",
        "api:wave-open",
        "api:wave-close",
        "api:wave-monitoring",
        "api:wave-invitations",
        "api:invitation-list",
        "api:analysis-run-detail",
        "api:panel-import-detail",
        "api:panel-import-commit",
        "api:response-import-detail",
        "api:response-import-commit",
        "api:export-list",
        "api:export-detail",
        "api:export-download",
    } <= names


@pytest.mark.django_db
def test_every_object_route_and_method_answers_404_to_an_admin_of_another_council(
    intruder, council_a
):
    # Given council A's objects, and an admin of council B
    object_routes = [(name, params) for name, params in api_routes() if params]
    assert len(object_routes) == 15
    body = {
        "title": "Taken over",
        "name_en": "Taken over",
        "text_en": "Taken over",
        "kind": "health",
        "external_id": council_a["member"].external_id,
    }
    before = snapshot()

    # When B's admin calls every object route with A's ids, by every method
    answers = {}
    for name, params in object_routes:
        assert params == ("pk",), name
        url = reverse(name, kwargs={"pk": object_for(name, council_a).pk})
        for method in METHODS:
            response = getattr(intruder, method)(url, body, format="json")
            answers[(name, method)] = response.status_code
            if response.status_code == 404:
                assert response.json()["error"]["code"] == "not_found"

    # Then each answers 404, or 405 for a method the route does not take
    assert {status for status in answers.values()} <= {404, 405}, answers
    for name, _params in object_routes:
        assert 404 in {answers[(name, method)] for method in METHODS}, name
    # and no row changed
    assert snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("route", "body"),
    [
        ("api:theme-list", {"kind": "health", "name_en": "Health"}),
        ("api:wave-list", {"title": "A wave in another council", "themes": []}),
    ],
)
def test_creating_in_another_council_answers_404(intruder, council_a, route, body):
    # Given council A, and an admin of council B
    before = snapshot()

    # When B's admin names council A as the council to create in
    response = intruder.post(
        f"{reverse(route)}?council={council_a['council'].pk}", body, format="json"
    )

    # Then the answer is 404 and nothing was created
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert snapshot() == before


@pytest.mark.django_db
def test_list_routes_show_nothing_of_another_council(intruder, council_a):
    # Given council A's objects, and an admin of council B with nothing of their own
    list_routes = [name for name, params in api_routes() if name.endswith("-list")]

    # When B's admin reads every list
    counts = {name: intruder.get(reverse(name)).json()["count"] for name in list_routes}

    # Then B's admin sees only their own council, and none of A's objects
    assert counts.pop("api:council-list") == 1
    assert set(counts.values()) == {0}, counts


@pytest.mark.django_db
def test_the_same_routes_answer_their_own_councils_admin(council_a):
    # Given an admin of council A itself (the control for the tests above)
    owner = CouncilMembershipFactory(
        user__password=None, role=CouncilRole.ADMIN, council=council_a["council"]
    ).user
    client = APIClient()
    client.force_authenticate(owner)

    # When every object route is read by GET
    statuses = {
        name: client.get(reverse(name, kwargs={"pk": object_for(name, council_a).pk})).status_code
        for name, params in api_routes()
        if params
    }

    # Then none is hidden from its own council (routes without GET answer 405), except
    # the exports, which hold member-level data and are for researchers only
    assert {name for name, status in statuses.items() if status == 404} == {
        "api:export-detail",
        "api:export-download",
    }
    assert statuses["api:wave-detail"] == 200
    assert statuses["api:wave-open"] == 405


@pytest.mark.django_db
def test_the_export_routes_answer_their_own_councils_researcher(council_a):
    # Given a researcher of council A (the control for the exports)
    researcher = CouncilMembershipFactory(
        user__password=None, role=CouncilRole.RESEARCHER, council=council_a["council"]
    ).user
    client = APIClient()
    client.force_authenticate(researcher)
    url = reverse("api:export-detail", kwargs={"pk": council_a["export"].pk})

    # When they poll council A's export and download it while it is pending
    poll = client.get(url)
    download = client.get(reverse("api:export-download", kwargs={"pk": council_a["export"].pk}))

    # Then they see it, and the file is not served before it is done
    assert poll.status_code == 200
    assert poll.json()["status"] == "pending"
    assert download.status_code == 409
