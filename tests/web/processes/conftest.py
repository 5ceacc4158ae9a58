"""The processes area's fixtures: the app with a process owner, and that owner signed in."""
import pytest

from engine.people import identity
from tests.web.conftest import Staff


@pytest.fixture
def owner_engine(campaign_orgs):
    """The campaign's organisations with a process owner, `owner`, at the Ministry."""
    with campaign_orgs.db.transaction() as s:
        identity.create_user(s, "owner", password="secret-pass",
                             memberships=[("ministry", "process_owner")])
    return campaign_orgs


@pytest.fixture
def owner(app):
    return Staff(app, "owner")
