"""The staff gate holds on every staff route: the console, the results and export pages,
Django admin and every operation of the API.

A staff user who enrolled an authenticator and typed only their password reaches nothing
but the page asking for the code. The routes come from the URL resolver and the API's
operations from its schema, so a route added later is walked too; a route that belongs to
none of the walked kinds makes the test fail until it is placed.
"""

import pytest
from django.urls import NoReverseMatch, get_resolver, reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from drf_spectacular.generators import SchemaGenerator

from experiments.models import CouncilRole
from tests.console.test_tenancy_routes import walk
from tests.factories import CouncilMembershipFactory, UserFactory

# Pages that are the gate itself, or that take no staff session at all.
GATE_ROUTES = {"console:login", "console:logout", "console:verify", "admin:login", "admin:logout"}
# The members' pages: a personal link or a session of one, never a staff account.
RESPONDENT_NAMESPACE = "experiments"
PUBLIC_ROUTES = {
    "home",
    "set_language",
    "healthz",
    # The operator's scrape endpoint: its own setting restricts it (networks or a token).
    "metrics",
    "console:unsubscribe",
    "api:schema",
    "api:docs",
}
STAFF_PREFIXES = ("console", "analysis", "exports", "admin")
METHODS = ("get", "post")


def staff_routes():
    """Every named route of the staff site and Django admin, with placeholder parameters."""
    routes, unplaced = [], []
    for name, _route, params in walk(get_resolver().url_patterns):
        namespace = name.split(":")[0]
        if (
            name in GATE_ROUTES
            or name in PUBLIC_ROUTES
            or namespace in ("api", RESPONDENT_NAMESPACE)
        ):
            continue
        if namespace not in STAFF_PREFIXES:
            unplaced.append(name)
            continue
        # The gate answers before any object is looked up, so any id will do.
        url = None
        for value in ("1", "x", "experiments"):
            try:
                url = reverse(name, kwargs={param: value for param in params})
                break
            except NoReverseMatch:  # a typed parameter that this value does not fit
                continue
        assert url is not None, f"Fill the parameters of {name} here."
        routes.append((name, url))
    return sorted(set(routes)), unplaced


def api_operations():
    """Every (method, path) of the API's schema, ids filled with 1."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = []
    for path, item in schema["paths"].items():
        for method in item:
            if method in ("get", "post", "put", "patch", "delete"):
                filled = path
                for part in ("{id}", "{pk}"):
                    filled = filled.replace(part, "1")
                operations.append((method, filled))
    return sorted(operations)


@pytest.fixture
def enrolled_admin(db):
    """A council admin who enrolled an authenticator app."""
    membership = CouncilMembershipFactory(role=CouncilRole.ADMIN)
    TOTPDevice.objects.create(user=membership.user, name="phone", confirmed=True)
    return membership.user


def test_every_route_is_placed_in_a_walked_kind():
    routes, unplaced = staff_routes()

    assert unplaced == [], "Place these routes in STAFF_PREFIXES, GATE_ROUTES or PUBLIC_ROUTES"
    assert len(routes) > 60
    assert len(api_operations()) > 30


@pytest.mark.django_db
def test_a_password_only_session_reaches_only_the_code_page(client, enrolled_admin):
    # Given an enrolled admin signed in with the password only
    client.force_login(enrolled_admin)
    routes, _ = staff_routes()

    # When every staff route is asked for, with every method
    wrong = {}
    for name, url in routes:
        for method in METHODS:
            response = getattr(client, method)(url)
            location = response.get("Location", "")
            # The admin sends its sign-in to the staff site's, which asks for the code.
            if response.status_code == 302 and location.startswith("/admin/login/"):
                location = client.get(location).get("Location", "")
            if not (response.status_code == 302 and location.startswith("/console/verify/")):
                wrong[(method, name)] = (response.status_code, location)

    # Then each one sends them to the page asking for the code, and nothing else
    assert wrong == {}


@pytest.mark.django_db
def test_a_password_only_session_is_refused_by_every_api_operation(client, enrolled_admin):
    client.force_login(enrolled_admin)

    answers = {
        (method, path): getattr(client, method)(path, content_type="application/json")
        for method, path in api_operations()
    }

    wrong = {key: r.status_code for key, r in answers.items() if r.status_code != 403}
    assert wrong == {}
    sample = next(iter(answers.values())).json()
    assert sample["error"]["code"] == "permission_denied"
    assert "authenticator" in sample["error"]["message"]


@pytest.mark.django_db
def test_the_same_session_passes_once_the_code_was_entered(client, enrolled_admin):
    # Given the enrolled admin, now verified by their authenticator in this session
    from django_otp import DEVICE_ID_SESSION_KEY

    client.force_login(enrolled_admin)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=enrolled_admin).persistent_id
    session.save()

    # Then the console and the API answer them
    assert client.get(reverse("console:home")).status_code == 200
    assert client.get("/api/v1/waves/").status_code == 200


@pytest.mark.django_db
def test_a_council_requiring_a_second_factor_sends_staff_without_one_to_set_it_up(client):
    # Given a council that requires a second factor and its admin without one
    membership = CouncilMembershipFactory(role=CouncilRole.ADMIN)
    membership.council.second_factor_required = True
    membership.council.save(update_fields=["second_factor_required"])
    client.force_login(membership.user)

    # When they open the console, the API and Django admin
    console = client.get(reverse("console:home"))
    api = client.get("/api/v1/waves/")
    enrol = client.get(reverse("console:two_factor"))

    # Then the console sends them to enrol, the API refuses, and the enrolment page opens
    assert console.status_code == 302
    assert console["Location"].startswith(reverse("console:two_factor"))
    assert api.status_code == 403
    assert "two-step" in api.json()["error"]["message"]
    assert enrol.status_code == 200


@pytest.mark.django_db
def test_a_signed_in_account_that_is_not_staff_is_refused_everywhere(client):
    user = UserFactory(is_staff=False)
    CouncilMembershipFactory(user=user, role=CouncilRole.ADMIN)
    client.force_login(user)

    assert client.get(reverse("console:home")).status_code == 403
    assert client.get("/api/v1/waves/").status_code == 403
