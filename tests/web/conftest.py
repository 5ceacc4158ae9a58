"""Web fixtures: an app around the `engine` fixture (SQLite and PostgreSQL) with the campaign's
organisations and the test models deployed, and signed-in test clients."""
import re

import pytest

from tests.conftest import DATA, bpmn
from web import create_app

CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


@pytest.fixture
def app(campaign_orgs):
    engine = campaign_orgs
    engine.deploy(bpmn("plan_review.bpmn"))
    engine.deploy(bpmn("activity_plan.bpmn"))
    return create_app({"TESTING": True}, engine=engine)


class Staff:
    """A test client that signs in like a person and sends the CSRF token with each post."""

    def __init__(self, app, username=None, password="secret-pass"):
        self.app, self.client, self.token = app, app.test_client(), None
        if username:
            response = self.sign_in(username, password)
            assert response.status_code == 302, response.get_data(as_text=True)

    def csrf(self):
        if self.token is None:
            page = self.client.get("/login").get_data(as_text=True)
            self.token = CSRF.search(page).group(1)
        return self.token

    def sign_in(self, username, password="secret-pass"):
        response = self.client.post("/login", data={"username": username, "password": password,
                                                    "csrf_token": self.csrf()})
        self.token = None  # signing in starts a new session, with a new CSRF token
        return response

    def get(self, url, **kw):
        return self.client.get(url, **kw)

    def post(self, url, data=None, csrf=True, **kw):
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf_token", self.csrf())
        return self.client.post(url, data=data, **kw)


@pytest.fixture
def staff(app):
    """staff("zj_staff") -> a signed-in client."""
    return lambda username=None: Staff(app, username)


def open_task(engine, user, key="activity_plan", data=None):
    """Start a case as `user` and return its first open task id."""
    started = engine.start_case(key, user, data or {"province": "浙江"})
    return started.case_id, started.tasks[0]


@pytest.fixture
def cli(database_url, settings, tmp_path, monkeypatch):
    """Runs `liandong ARGS` on the test's database, with the `engine` fixture's audit keys;
    asserts the exit code, never a traceback."""
    from click.testing import CliRunner
    from web.commands import main

    monkeypatch.setenv("LIANDONG_DATABASE_URL", database_url)
    monkeypatch.setenv("LIANDONG_AUDIT_KEYS_DIR", str(settings.audit_keys_path))
    monkeypatch.setenv("LIANDONG_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("LIANDONG_FORMS_DIR", str(DATA / "forms"))
    runner = CliRunner()

    def run(*args, code=0):
        result = runner.invoke(main, [str(a) for a in args], catch_exceptions=False)
        assert result.exit_code == code, result.output
        assert "Traceback" not in result.output
        return result.output
    return run
