"""Cross-council access: every id-taking route, every method, another council's ids.

The console and API routes come from the URL resolver (as in
`tests/console/test_tenancy_routes.py`), with the results page, the export pages and
every change, delete and history page of Django's admin added. Each is tried with GET,
POST, PUT, PATCH and DELETE by an admin and by a researcher of another council (not
superusers). Every answer must be 404, or 405 where the route refuses the method, or a
redirect to a login page where the route refuses the user outright (Django's admin). A
checksum of every row of every table, taken before and after, proves nothing changed.
"""

import pytest
from django.contrib import admin
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from experiments.models import CouncilRole, WaveStatus
from exports import jobs
from tests.console.test_tenancy_routes import (
    OBJECT_FOR,
    fill,
    other_council_objects,  # noqa: F401  (fixture)
    walked_routes,
)
from tests.factories import (
    CouncilMembershipFactory,
    ItemWordingFactory,
    UserFactory,
    WaveFactory,
    WaveThemeFactory,
)

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# Tables whose rows a refused request may add: the audit log records the failed access,
# and sign-ins write the session and django-axes rows.
LOGGED_TABLES = {"audit_auditentry", "django_session"}


def database_checksum() -> dict[str, tuple[int, str]]:
    """Row count and an MD5 of every row of every table (except the logs above)."""
    sums = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names()):
            if table in LOGGED_TABLES or table.startswith("axes_"):
                continue
            quoted = connection.ops.quote_name(table)
            cursor.execute(
                f"SELECT count(*), coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') "
                f"FROM {quoted} t"
            )
            sums[table] = cursor.fetchone()
    return sums


def admin_object_urls(objects) -> list[str]:
    """Change, delete and history pages of every model in Django's admin, for council A's
    object of that model when the fixture has one (else the lowest id there is)."""
    by_model = {type(value): value for value in objects.values()}
    urls = []
    for model in admin.site._registry:
        instance = by_model.get(model) or model.objects.order_by("pk").first()
        pk = instance.pk if instance is not None else 1
        info = (model._meta.app_label, model._meta.model_name)
        for action in ("change", "delete", "history"):
            try:
                urls.append(reverse(f"admin:{info[0]}_{info[1]}_{action}", args=[pk]))
            except Exception:
                continue
    return urls


@pytest.fixture
def council_a(other_council_objects):  # noqa: F811
    """Council A's objects, with a closed wave, its export and an item wording."""
    objects = dict(other_council_objects)
    closed = WaveFactory(
        council=objects["council"], status=WaveStatus.CLOSED, closed_at=timezone.now()
    )
    WaveThemeFactory(wave=closed, theme=objects["theme"])
    objects["closed_wave"] = closed
    objects["export"] = jobs.request_export(
        UserFactory(is_superuser=True), wave_ids=[closed.pk], format="csv_tidy"
    )
    objects["wording"] = ItemWordingFactory(wave=objects["wave"], theme=objects["theme"])
    return objects


def every_url(objects) -> list[tuple[str, str]]:
    """(kind, url) of every id-taking route, filled with council A's ids."""
    urls = [
        ("console", reverse(name, kwargs=fill(name, params, objects)))
        for name, params in walked_routes()
        if params
    ]
    for wave in (objects["wave"], objects["closed_wave"]):
        urls.append(("results", reverse("analysis:wave_results", args=[wave.pk])))
        urls.append(
            ("results", reverse("analysis:wave_results", args=[wave.pk]) + "?download=html")
        )
    for name in ("exports:detail", "exports:download"):
        urls.append(("exports", reverse(name, args=[objects["export"].pk])))
    urls += [("admin", url) for url in admin_object_urls(objects)]
    return urls


def acceptable(kind: str, response) -> bool:
    if response.status_code in (404, 405):
        return True
    # The console refuses a user without an admin role anywhere outright, whatever the id.
    if kind == "console" and response.status_code == 403:
        return "console/no_right.html" in [t.name for t in response.templates]
    login = "/admin/login/" if kind == "admin" else None
    return (
        kind == "admin" and response.status_code == 302 and response["Location"].startswith(login)
    )


@pytest.mark.django_db
@pytest.mark.parametrize("role", [CouncilRole.ADMIN, CouncilRole.RESEARCHER])
def test_every_method_on_every_id_route_answers_404_to_another_council(client, council_a, role):
    # Given a staff member of council B (not a superuser), signed in, and council A's rows
    intruder = CouncilMembershipFactory(role=role).user
    assert intruder.is_staff
    assert not intruder.is_superuser
    client.force_login(intruder)
    urls = every_url(council_a)
    before = database_checksum()

    # When every method is tried on every id-taking route with council A's ids
    answers = {
        (method, url): client.generic(
            method,
            url,
            "confirm=on&status=withdrawn",
            content_type="application/x-www-form-urlencoded",
        )
        for _, url in urls
        for method in METHODS
    }

    # Then every answer is 404, 405, or the admin's login page; never 200, 302 elsewhere or 403
    kinds = dict((url, kind) for kind, url in urls)
    refused = {
        key: response.status_code
        for key, response in answers.items()
        if not acceptable(kinds[key[1]], response)
    }
    assert refused == {}
    assert len(answers) == len(urls) * 5
    assert {kind for kind, _ in urls} == {"console", "results", "exports", "admin"}
    statuses = {response.status_code for response in answers.values()}
    assert statuses <= {302, 403, 404, 405}
    # and no row of any table changed
    assert database_checksum() == before


@pytest.mark.django_db
def test_the_route_walk_covers_results_exports_and_the_admin(council_a):
    urls = every_url(council_a)

    kinds = {kind: sum(1 for k, _ in urls if k == kind) for kind in ("results", "exports")}
    assert kinds == {"results": 4, "exports": 2}
    assert sum(1 for k, _ in urls if k == "admin") >= 30
    assert "export_id" not in OBJECT_FOR


@pytest.mark.django_db
def test_a_council_admin_reads_results_but_does_not_download_exports(client, council_a):
    # Given an admin of council A itself
    owner = CouncilMembershipFactory(role=CouncilRole.ADMIN, council=council_a["council"])
    client.force_login(owner.user)
    wave = council_a["closed_wave"]

    # When they open the results and the export
    results = client.get(reverse("analysis:wave_results", args=[wave.pk]))
    export = client.get(reverse("exports:detail", args=[council_a["export"].pk]))

    # Then the results open and the pseudonymised export is for researchers only
    assert results.status_code == 200
    assert export.status_code == 404


@pytest.mark.django_db
def test_a_researcher_of_the_council_reads_results_and_exports(client, council_a):
    owner = CouncilMembershipFactory(role=CouncilRole.RESEARCHER, council=council_a["council"])
    client.force_login(owner.user)
    wave = council_a["closed_wave"]

    results = client.get(reverse("analysis:wave_results", args=[wave.pk]))
    export = client.get(reverse("exports:detail", args=[council_a["export"].pk]))

    assert (results.status_code, export.status_code) == (200, 200)


def test_checksum_sees_a_changed_row(db):
    # Given a wave, and the checksum of the database
    wave = WaveFactory()
    before = database_checksum()

    # When one column of it changes
    wave.title = wave.title + "!"
    wave.save(update_fields=["title"])

    # Then the checksum differs in that table only
    after = database_checksum()
    assert {t for t in after if after[t] != before[t]} == {"experiments_wave"}
