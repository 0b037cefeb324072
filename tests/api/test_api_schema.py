"""The API against its own OpenAPI schema: schemathesis generates requests from the schema
and checks every answer: no 5xx, documented status codes, bodies and content types.

Requests go through the WSGI app with an admin's token. Path ids are pointed at the
admin's own objects, so that the generated bodies reach the real handlers rather than
stopping at 404 (another council's ids are walked in test_api_tenancy.py).
"""

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.tokens import issue_token
from analysis.models import AnalysisRun
from experiments.models import (
    Activity,
    CouncilMembership,
    CouncilRole,
    ResponseUpload,
    Theme,
    Wave,
    WaveStatus,
)
from exports.models import Export
from panel.models import PanelMember, PanelUpload

EXAMPLES_PER_OPERATION = 6
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    content_type_conformance,
]


@pytest.fixture
def api_schema(db):
    document = SchemaGenerator().get_schema(request=None, public=True)
    schema = schemathesis.openapi.from_dict(document)
    schema.app = get_wsgi_application()
    # Generated examples only: the coverage phase would walk every boundary of every
    # parameter, hundreds of requests per operation, too slow for `make test`.
    schema.config.phases.update(phases=["examples", "fuzzing"])
    # As Django's test client does: the WSGI handler would otherwise close the
    # connection that holds the test's transaction at the end of every request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield schema
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def admin_world(db):
    """An admin's token and one object of each kind in their council."""
    from tests.factories import CouncilFactory

    council = CouncilFactory()
    # No password: argon2 would cost a second per operation here.
    user = get_user_model().objects.create(username="schema-admin", is_staff=True)
    CouncilMembership.objects.create(user=user, council=council, role=CouncilRole.ADMIN)
    theme = Theme.objects.create(council=council, kind="health", name_en="Health")
    activity = Activity.objects.create(theme=theme, text_en="Walk to work")
    wave = Wave.objects.create(council=council, title="Spring", status=WaveStatus.OPEN)
    PanelMember.objects.create(council=council, external_id="P1")
    return {
        "key": issue_token(user).key,
        "ids": {
            "councils": council.pk,
            "themes": theme.pk,
            "activities": activity.pk,
            "waves": wave.pk,
            "analysis-runs": AnalysisRun.objects.create(wave=wave).pk,
            "panel-imports": PanelUpload.objects.create(
                council=council,
                filename="panel.csv",
                content=b"external_id,email\nP2,p2@example.org\n",
                report={"row_count": 1, "problems": []},
            ).pk,
            "response-imports": ResponseUpload.objects.create(
                council=council,
                wave=wave,
                filename="returns.csv",
                content=b"external_id,mode\nP1,2\n",
                report={"row_count": 1, "problems": []},
            ).pk,
            # Exports are for researchers: the admin's polls and downloads answer 404 and
            # their requests 403, both documented.
            "exports": Export.objects.create(
                format="csv_tidy",
                wave_ids=[wave.pk],
                council_ids=[council.pk],
                input_hash="0" * 64,
            ).pk,
        },
    }


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    # The same examples on every run, so that `make test` is repeatable; widen the search
    # by hand with a larger EXAMPLES_PER_OPERATION and derandomize off.
    derandomize=True,
)
def test_every_operation_conforms_to_the_schema(case, admin_world):
    if case.path_parameters and "id" in case.path_parameters:
        family = case.path.split("/")[3]
        case.path_parameters["id"] = admin_world["ids"][family]
    case.call_and_validate(headers={"Authorization": f"Token {admin_world['key']}"}, checks=CHECKS)


def test_the_schema_is_valid_openapi_and_generates_without_warnings(tmp_path):
    # `--fail-on-warn` turns any operation drf-spectacular cannot describe into an error.
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml")
    )

    assert (tmp_path / "schema.yaml").read_text().count("operationId:") == 40
