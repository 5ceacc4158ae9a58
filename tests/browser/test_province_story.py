"""One province's story through the campaign's real models and forms, in a real browser.

A fresh database with the campaign's organisations (processes/organisations.csv), every
model in processes/ deployed, the demo users (processes/demo-users.csv) and a national
campaign started from a two-province calendar. Then, by clicks and typing only: the
Ministry officer deploys the campaign choosing Zhejiang; Zhejiang's officer deploys the
provincial work, opens the plan, submits it with required fields missing (errors beside
them, everything else kept), fixes it and submits two activities whose host city, form and
theme are choices taken from the case; the Ministry officer approves the plan; Hangzhou's
officer finds the activity hosted by Hangzhou in the inbox. The clock is moved (and timers
fired) only where the story needs time to pass."""
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from engine import Engine
from engine.campaign import setup as campaign
from engine.people import organisations
from engine.clock import ManualClock
from engine.config import ROOT, Settings
from engine.models.files import collect
from engine.storage import Case
from engine.storage.schema import upgrade
from tests.browser.conftest import serving
from tests.conftest import START

pytestmark = pytest.mark.browser

PROCESSES = ROOT / "processes"


@dataclass
class CampaignServer:
    url: str
    engine: Engine
    clock: ManualClock
    calendar: dict
    passwords: dict

    def sign_in(self, page, username):
        if page.url.startswith(self.url):  # whoever is signed in signs out first
            page.click("form[action$='/logout'] button")
            page.wait_for_load_state()
        page.goto(f"{self.url}/login")
        page.fill("#username", username)
        page.fill("#password", self.passwords[username])
        page.click("button[type=submit].primary")
        page.wait_for_load_state()
        assert "/login" not in page.url, f"{username} could not sign in"

    def at(self, moment):
        """Time passes: the clock moves just past `moment` and due timers fire."""
        self.clock.set(moment + timedelta(seconds=1))
        self.engine.fire_due_timers()
        self.engine.deliver_messages()


@pytest.fixture
def campaign_server(tmp_path):
    """The campaign as `make run` sets it up, for two provinces (Zhejiang and Jiangsu)."""
    from web import create_app
    clock = ManualClock(START)
    settings = Settings(instance_path=tmp_path / "instance",
                        database_url=f"sqlite:///{tmp_path / 'campaign.sqlite3'}",
                        forms_dir=ROOT / "forms", script_time_limit=2.0)
    engine = Engine(settings, clock)
    upgrade(engine.db)
    with engine.db.transaction() as session:
        organisations.import_organisations(session, PROCESSES / "organisations.csv")
    users = campaign.setup_demo(engine, PROCESSES / "demo-users.csv", tmp_path / "passwords.json")
    for model in collect([PROCESSES]):
        engine.deploy(model.files)
    calendar = json.loads((PROCESSES / "calendar-2016.json").read_text("utf-8"))
    calendar["provinces"] = ["zj", "js"]
    calendar_file = tmp_path / "calendar.json"
    calendar_file.write_text(json.dumps(calendar, ensure_ascii=False), "utf-8")
    campaign.start_campaign(engine, calendar_file, "ministry_officer")
    app = create_app({"TESTING": False}, engine=engine)
    try:
        with serving(app) as url:
            yield CampaignServer(url, engine, clock, calendar, {u.username: u.password for u in users})
    finally:
        engine.close()


def _date(server, key):
    return datetime.fromisoformat(server.calendar["dates"][key])


def _open_task(page, name):
    """From the inbox, open the task called `name` by clicking its link."""
    page.click(f"a.task-link:text-is('{name}')")
    assert page.locator("h1").inner_text() == name


def _options(page, selector):
    return {o.get_attribute("value"): o.inner_text().strip()
            for o in page.locator(f"{selector} option").all() if o.get_attribute("value")}


def _chosen(page, selector):
    return page.locator(f"{selector} option:checked").evaluate_all("els => els.map(e => e.value)")


def _fill_activity(page, row, name, host, form, theme, partner, start, end, venue, budget):
    prefix = f"activities-{row}-"
    page.fill(f"input[name='{prefix}name']", name)
    page.select_option(f"select[name='{prefix}host_city']", host)
    page.select_option(f"select[name='{prefix}form']", form)
    page.select_option(f"select[name='{prefix}theme']", theme)
    page.select_option(f"select[name='{prefix}partner_cities']", partner)  # by name, stored by code
    page.fill(f"input[name='{prefix}start_date']", start)
    page.fill(f"input[name='{prefix}end_date']", end)
    if venue:
        page.fill(f"input[name='{prefix}venue']", venue)
    page.fill(f"input[name='{prefix}budget']", budget)


def test_one_provinces_story_through_the_forms(campaign_server, browser_page, artifacts):
    server, page = campaign_server, browser_page

    # April: the deployment date comes; the Ministry's deployment task appears
    server.at(_date(server, "deployment"))
    server.sign_in(page, "ministry_officer")
    _open_task(page, "对区域文化联动活动进行安排部署")
    offered = page.locator("label.choice:has(input[name=participating])")  # by name, not by code
    assert offered.all_inner_texts() == ["浙江省文化厅", "江苏省文化厅"]
    assert sorted(offered.locator("input").evaluate_all("els => els.map(e => e.value)")) == ["js", "zj"]
    page.fill("input[name=notice_title]", "关于开展2016年区域文化联动活动的通知")
    page.fill("textarea[name=notice]", "请各省于4月20日前报送落实方案。")
    # every province in the calendar is offered, and ticked to start with; Jiangsu is not ready
    assert page.is_checked("input[name=participating][value=zj]")
    page.uncheck("input[name=participating][value=js]")
    page.screenshot(path=artifacts / "ministry-deploy-zh.png", full_page=True)
    page.click("button[name=complete]")
    assert "对区域文化联动活动进行安排部署" in page.locator(".flash-success").inner_text()
    with server.engine.db.read() as s:  # only the chosen province got its case
        provinces = s.scalars(select(Case.business_key).where(Case.process_key == "province")).all()
    assert provinces == ["zj"]

    # Zhejiang's officer: the provincial task is in the inbox; deploy, then the plan
    server.sign_in(page, "zj_staff")
    assert page.locator("#task-count").inner_text() == "1"
    _open_task(page, "部署省内及跨省区域文化联动工作")
    page.fill("textarea[name=intra_provincial]", "召开全省区域文化联动工作部署会。")
    page.select_option("select[name=contacted_cities]", label="苏州市")
    page.click("button[name=complete]")
    assert page.locator("h1").inner_text() == "策划活动项目，制定并报送落实方案"  # next task, straight on
    page.goto(f"{server.url}/tasks")
    assert page.locator("a.task-link").all_inner_texts() == ["策划活动项目，制定并报送落实方案"]
    _open_task(page, "策划活动项目，制定并报送落实方案")

    # the choices come from the case (the calendar and Zhejiang's cities), not from the form
    assert _options(page, "select[name='activities-0-host_city']") == {
        "zj-hangzhou": "杭州市", "zj-jiaxing": "嘉兴市", "zj-ningbo": "宁波市"}
    themes = _options(page, "select[name='activities-0-theme']")
    assert themes == {t["code"]: t["zh"] for t in server.calendar["themes"]}
    forms = _options(page, "select[name='activities-0-form']")
    assert forms == {f["code"]: f["zh"] for f in server.calendar["activity_forms"]}

    # two activities (the second row added in the page); the summary and one venue left out
    jiangsu = page.locator("select[name='activities-0-partner_cities'] optgroup[label='江苏省文化厅']")
    assert jiangsu.locator("option").all_inner_texts() == ["常州市", "苏州市"]  # other provinces' too
    _fill_activity(page, 0, "越剧联动展演", "zj-hangzhou", "performance", "mass_activities",
                   ["js-suzhou", "sh-pudong"], "2016-06-10", "2016-06-12", "杭州大剧院", "50000")
    page.click("fieldset[data-rows=activities] > button[name=add_row]")
    _fill_activity(page, 1, "长三角公共文化讲座", "zj-ningbo", "lecture", "digitalisation",
                   ["js-changzhou"], "2016-07-01", "2016-07-01", "", "8000")
    page.check("input[name=host_exchange][value=no]")
    page.screenshot(path=artifacts / "province-plan-zh.png", full_page=True)
    page.click("button[name=complete]")

    assert page.locator(".error-summary").is_visible()
    summary_field = page.locator(".field", has=page.locator("textarea[name=plan_summary]"))
    assert "此项为必填项" in summary_field.locator(".error").inner_text()
    venue_field = page.locator(".field", has=page.locator("input[name='activities-1-venue']"))
    assert "此项为必填项" in venue_field.locator(".error").inner_text()
    assert page.locator(".field.has-error").count() == 2
    assert page.input_value("input[name='activities-0-name']") == "越剧联动展演"
    assert page.input_value("select[name='activities-0-host_city']") == "zj-hangzhou"
    assert page.input_value("select[name='activities-1-host_city']") == "zj-ningbo"
    assert page.input_value("select[name='activities-1-form']") == "lecture"
    assert page.input_value("select[name='activities-1-theme']") == "digitalisation"
    assert _chosen(page, "select[name='activities-1-partner_cities']") == ["js-changzhou"]
    assert _chosen(page, "select[name='activities-0-partner_cities']") == ["js-suzhou", "sh-pudong"]
    assert page.input_value("input[name='activities-1-budget']") == "8000"
    assert page.is_checked("input[name=host_exchange][value=no]")
    page.screenshot(path=artifacts / "province-plan-errors-zh.png", full_page=True)

    page.fill("textarea[name=plan_summary]", "浙江省2016年区域文化联动落实方案：两项跨省联动活动。")
    page.fill("input[name='activities-1-venue']", "宁波图书馆")
    page.click("button[name=complete]")
    assert "策划活动项目" in page.locator(".flash-success").inner_text()
    assert page.locator("a.task-link").count() == 0  # the plan is with the Ministry now

    # the Ministry officer reviews the plan and approves it
    server.sign_in(page, "ministry_officer")
    _open_task(page, "审核省级落实方案")
    plan = page.locator(".instructions")  # the plan is there to read, names not codes
    assert "浙江省2016年区域文化联动落实方案" in plan.inner_text()
    assert plan.locator("tbody tr").count() == 2
    assert plan.locator("tbody tr").first.locator("td").all_inner_texts()[:4] == [
        "越剧联动展演", "杭州市", "演出", "群众文化活动开展"]
    assert "宁波图书馆" in plan.locator("tbody tr").nth(1).inner_text()
    page.screenshot(path=artifacts / "ministry-review-zh.png", full_page=True)
    assert _options(page, "select[name=plan_decision]") == {"approve": "通过", "return": "退回修改"}
    page.select_option("select[name=plan_decision]", "approve")
    page.fill("textarea[name=review_comments]", "同意。")
    page.click("button[name=complete]")
    assert "审核省级落实方案" in page.locator(".flash-success").inner_text()

    # Hangzhou's officer finds the activity Hangzhou hosts; Ningbo's is not theirs
    server.sign_in(page, "hangzhou_staff")
    links = page.locator("a.task-link")
    assert links.all_inner_texts() == ["完善活动方案（形式、主题、合作城市、时间、地点、预算与赞助）"]
    row = page.locator("tr", has=links.first)
    assert "越剧联动展演" in row.inner_text() and "杭州市" in row.inner_text()
    with server.engine.db.read() as s:  # one activity case per row, each owned by its host city
        activities = [(c.business_key, c.organisation.code) for c in s.scalars(
            select(Case).where(Case.process_key == "activity").order_by(Case.id))]
    assert activities == [("zj-1", "zj-hangzhou"), ("zj-2", "zj-ningbo")]
    page.screenshot(path=artifacts / "city-inbox-zh.png", full_page=True)
    links.first.click()
    assert page.input_value("input[name=name]") == "越剧联动展演"
    assert page.input_value("select[name=form]") == "performance"
    assert _chosen(page, "select[name=partner_cities]") == ["js-suzhou", "sh-pudong"]
    page.screenshot(path=artifacts / "city-activity-zh.png", full_page=True)
