"""Every role walks its main pages in both languages (issue 17).

In English no Chinese character may show outside people's names and what people typed
(marked `translate="no"` in the templates, the HTML attribute for "not to be translated");
in Chinese no snake_case identifier may show at all. The walk is data: add a page to
`PAGES` (a path, or a callable giving one from the demo's state) and every role visits it.
Screenshots of the inbox, a task page, a case page and the dashboard in both languages go
to test-artifacts/.
"""
import json
import re
from datetime import timedelta

import pytest

from engine import Engine
from engine.campaign import setup as campaign
from engine.clock import ManualClock
from engine.config import Settings
from engine.models.files import collect
from engine.storage import Case
from engine.storage.schema import upgrade
from tests.conftest import ROOT, START

from .conftest import serving

pytestmark = pytest.mark.browser

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
#: The demo's users (processes/demo-users.csv), one per role.
ROLES = ("admin", "process_owner", "auditor", "ministry_officer", "zj_staff", "hangzhou_staff", "expert")
#: Pages every role walks: a path, or a function of the demo giving one (None: skip).
PAGES = {
    "inbox": "/tasks",
    "start": "/start",
    "cases": "/cases/",
    "case": lambda demo: f"/cases/{demo['campaign']}",
    "task": lambda demo: f"/tasks/{demo['task']}",
    "dashboard": "/cases/dashboard",
    "report": lambda demo: f"/cases/{demo['campaign']}/report",
    "heatmap": lambda demo: f"/cases/heatmap/{demo['version']}",
    "settings": "/account",
    "notifications": "/notifications",
    "processes": "/processes/",
    "admin users": "/admin/users",
    "admin organisations": "/admin/organisations",
    "people trail": "/cases/people-trail",
    "admin incidents": "/admin/incidents",
    "admin timers": "/admin/timers",
    "case data": lambda demo: f"/cases/{demo['campaign']}/data/edit",
    "audit verify": lambda demo: f"/audit/verify?case={demo['campaign']}",
}
SCREENSHOTS = {"inbox", "task", "case", "dashboard"}
#: The page's visible text (and every choice of its drop-downs), without what is marked
#: translate="no" (people's names, what they typed) and without closed <details>' content.
VISIBLE_TEXT = """() => {
  const skip = '[translate=no], script, style, template, select, details:not([open]) > :not(summary)';
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || el.closest(skip) || !el.checkVisibility()) continue;
    out.push(n.textContent);
  }
  for (const option of document.querySelectorAll('select option')) {
    if (!option.closest('[translate=no]')) out.push(option.textContent);
  }
  return out.join('\\n');
}"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The real campaign: organisations, processes/, the demo users, the campaign started
    and its deployment timer fired, so the Ministry has its first task."""
    from web import create_app
    folder = tmp_path_factory.mktemp("languages")
    clock = ManualClock(START)
    settings = Settings(instance_path=folder / "instance", database_url=f"sqlite:///{folder / 'demo.sqlite3'}",
                        processes_dir=ROOT / "processes", forms_dir=ROOT / "forms")
    engine = Engine(settings, clock)
    upgrade(engine.db)
    engine.import_organisations(ROOT / "processes" / "organisations.csv")
    for model in collect([ROOT / "processes"]):
        engine.deploy(model.files)
    campaign.setup_demo(engine, ROOT / "processes" / "demo-users.csv", folder / "demo-users.json")
    passwords = json.loads((folder / "demo-users.json").read_text("utf-8"))
    started = campaign.start_campaign(engine, campaign.load_calendar(ROOT / "processes" / "calendar-2016.json"))
    clock.advance(timedelta(days=5))
    engine.fire_due_timers()
    task = next(t.id for t in engine.tasks("ministry_officer"))
    with engine.db.read() as session:
        version = session.get(Case, started.case_id).process_version_id
    app = create_app({"TESTING": False}, engine=engine)
    try:
        with serving(app) as url:
            yield {"url": url, "passwords": passwords, "campaign": started.case_id, "task": task,
                   "version": version}
    finally:
        engine.close()


def _sign_in(page, demo, username, locale):
    page.goto(f"{demo['url']}/login")
    page.fill("#username", username)
    page.fill("#password", demo["passwords"][username])
    page.click("button[type=submit].primary")
    page.wait_for_load_state()
    switch = page.locator(f"form.locale button[value={locale}]")
    if switch.count():
        switch.click()
        page.wait_for_load_state()


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
@pytest.mark.parametrize("username", ROLES)
def test_pages_speak_the_language(demo, browser, artifacts, username, locale):
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.set_default_timeout(30_000)
    found = {}
    try:
        _sign_in(page, demo, username, locale)
        for name, path in PAGES.items():
            path = path(demo) if callable(path) else path
            if path is None:
                continue
            response = page.goto(demo["url"] + path)
            if response is None or response.status in (403, 404):
                continue  # not this role's page
            assert response.status < 500, f"{path} failed for {username}"
            if name == "case":
                page.wait_for_selector("#diagram svg", timeout=10_000)
            text = page.evaluate(VISIBLE_TEXT)
            bad = sorted(set(CJK.findall(text) if locale == "en" else SNAKE.findall(text)))
            if bad:
                found[path] = bad[:20]
            if name in SCREENSHOTS and username in ("ministry_officer", "auditor"):
                page.screenshot(path=artifacts / f"i18n-{locale}-{username}-{name}.png", full_page=True)
    finally:
        context.close()
    what = "Chinese text" if locale == "en" else "snake_case identifiers"
    assert not found, f"{what} for {username}: {found}"
