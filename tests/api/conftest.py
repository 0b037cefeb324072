import pytest
from rest_framework.test import APIClient

from accounts.tokens import issue_token
from experiments.models import CouncilRole
from tests.factories import CouncilMembershipFactory


@pytest.fixture
def api_admin(db):
    """A council admin's membership; the user holds a role in that one council only."""
    return CouncilMembershipFactory(user__password=None, role=CouncilRole.ADMIN)


@pytest.fixture
def api_key(api_admin):
    return issue_token(api_admin.user, name="tests").key


@pytest.fixture
def api(api_admin, api_key):
    """An API client authenticated with the admin's token."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_key}")
    client.council = api_admin.council
    return client
