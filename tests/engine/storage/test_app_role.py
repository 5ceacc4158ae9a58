"""PostgreSQL: the tables belong to an owner role; the app runs as a role that may only
insert into and read the audit tables, so it can neither rewrite them nor switch their
append-only triggers off (issue 18 item 5)."""
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from engine import Engine
from tests.conftest import POSTGRES_URL, bpmn, demo_data

pytestmark = pytest.mark.postgres


@pytest.fixture
def roles(database_url):
    """An owner and an app role, unique to this test (roles are cluster-wide), dropped after."""
    if not database_url.startswith("postgresql"):
        pytest.skip("roles and grants are PostgreSQL's")
    suffix = uuid.uuid4().hex[:10]
    owner, app = f"ld_owner_{suffix}", f"ld_app_{suffix}"
    schema = database_url.split("search_path%3D")[1]
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE ROLE "{owner}" LOGIN'))
        conn.execute(text(f'CREATE ROLE "{app}" LOGIN'))
        # what a DBA does once: the owner may create in the schema, the app may use it
        conn.execute(text(f'GRANT USAGE, CREATE ON SCHEMA "{schema}" TO "{owner}"'))
        conn.execute(text(f'GRANT USAGE ON SCHEMA "{schema}" TO "{app}"'))
    url = make_url(database_url)
    yield (url.set(username=owner).render_as_string(hide_password=False),
           url.set(username=app).render_as_string(hide_password=False))
    with admin.connect() as conn:
        for role in (owner, app):
            conn.execute(text(f'DROP OWNED BY "{role}" CASCADE'))
            conn.execute(text(f'DROP ROLE "{role}"'))
    admin.dispose()


def test_the_app_role_cannot_rewrite_the_audit_tables_nor_disable_their_triggers(roles, settings, clock):
    owner_url, app_url = roles
    engine = Engine(settings.with_(database_url=app_url, database_owner_url=owner_url), clock)
    try:
        engine.upgrade_schema()  # as the owner; then the app role is granted its rights
        demo_data(engine)  # the app role writes every ordinary table
        engine.deploy(bpmn("plan_review.bpmn"))
        started = engine.start_case("plan_review", "zj_staff")
        engine.complete_task(started.tasks[0], "zj_staff", {"title": "方案", "budget": 9})
        engine.create_user("system", "new_staff", "secret-pass", memberships=[("zj", "staff")])
        assert engine.verify_audit_all().breaks == []
        with engine.db.engine.connect() as conn:
            assert conn.execute(text("SELECT current_user")).scalar() == make_url(app_url).username
            assert conn.execute(text("SELECT count(*) FROM audit_events")).scalar() >= 2
        refused = {
            "UPDATE audit_events SET actor = 'x'": "permission denied",
            "DELETE FROM audit_events": "permission denied",
            "TRUNCATE audit_events": "permission denied",
            "UPDATE identity_events SET actor = 'x'": "permission denied",
            "DELETE FROM audit_seals": "permission denied",
            "ALTER TABLE audit_events DISABLE TRIGGER ALL": "must be owner",
            "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only": "must be owner",
            "ALTER TABLE audit_seals DISABLE TRIGGER USER": "must be owner",
            "SET session_replication_role = replica": "permission denied",
            "DROP TABLE audit_events": "must be owner",
            "UPDATE alembic_version SET version_num = 'x'": "permission denied",
            f"DELETE FROM cases WHERE id = {started.case_id}": "foreign key",  # its events hold it
        }
        for statement, error in refused.items():
            with pytest.raises(DBAPIError, match=error):
                with engine.db.engine.begin() as conn:
                    conn.execute(text(statement))
        assert engine.verify_audit_all().breaks == []
    finally:
        engine.close()
