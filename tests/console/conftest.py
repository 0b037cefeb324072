import pytest

from experiments.models import CouncilRole
from tests.factories import CouncilMembershipFactory


@pytest.fixture
def council_admin(db):
    """A staff user who is admin of one council."""
    return CouncilMembershipFactory(role=CouncilRole.ADMIN)


@pytest.fixture
def console_client(client, council_admin):
    client.force_login(council_admin.user)
    client.council = council_admin.council
    return client
