"""Browser-test fixtures, for every area's browser tests (mark them `browser`).

- `live_server`: the whole app served by werkzeug in a background thread on 127.0.0.1 and a
  free port, on a fresh SQLite file database (one per test, cloned from a migrated template) with the campaign's demo
  organisations and users (as `campaign_orgs`: zj_staff, zj_staff2, js_staff, hz_staff,
  ministry_officer, auditor, admin; password "secret-pass"), the test models
  plan_review.bpmn and activity_plan.bpmn deployed, and a ManualClock at 2016-04-01.
  It yields a `LiveServer`: `.url`, `.app`, `.engine`, `.clock`, and `.sign_in(page, user)`.
- `browser_page`: a Playwright (sync API) page in Debian's chromium (/usr/bin/chromium;
  `apt-get install chromium fonts-noto-cjk`; never `playwright install`), 1280x860,
  closed after the test. `browser` (one chromium per session) is there for tests that
  need several pages or a phone-sized context.
- `artifacts`: the test-artifacts/ folder (gitignored) for screenshots.
"""
import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from engine import Engine
from engine.clock import ManualClock
from engine.config import Settings
from tests import databases
from tests.conftest import DATA, PASSWORD, ROOT, START, bpmn, demo_data

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
MODELS = ("plan_review.bpmn", "activity_plan.bpmn")


@dataclass
class LiveServer:
    url: str
    app: object
    engine: Engine
    clock: ManualClock

    def sign_in(self, page, username, password=PASSWORD):
        page.goto(f"{self.url}/login")
        page.fill("#username", username)
        page.fill("#password", password)
        page.click("button[type=submit].primary")
        page.wait_for_load_state()


@pytest.fixture
def live_server(tmp_path):
    from web import create_app
    clock = ManualClock(START)
    databases.migrated_sqlite(tmp_path / "browser.sqlite3")
    settings = Settings(instance_path=tmp_path / "instance",
                        database_url=f"sqlite:///{tmp_path / 'browser.sqlite3'}",
                        forms_dir=DATA / "forms", script_time_limit=2.0)
    engine = Engine(settings, clock)
    demo_data(engine)
    for model in MODELS:
        engine.deploy(bpmn(model))
    app = create_app({"TESTING": False}, engine=engine)
    try:
        with serving(app) as url:
            yield LiveServer(url, app, engine, clock)
    finally:
        engine.close()


@contextmanager
def serving(app):
    """`app` served by werkzeug in a background thread on 127.0.0.1 and a free port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"browser tests must run in CI, but {CHROMIUM} is missing")
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium fonts-noto-cjk")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def browser_page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.set_default_timeout(30_000)  # the modeler's bundle is slow to settle on a loaded machine
    refused = []  # the Content-Security-Policy refusing something a page needs is a bug
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    yield page
    context.close()
    assert refused == [], refused


@pytest.fixture(scope="session")
def artifacts():
    folder = ROOT / "test-artifacts"
    folder.mkdir(exist_ok=True)
    return folder

