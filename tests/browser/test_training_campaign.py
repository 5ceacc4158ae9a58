"""The campaign walked in a training instance, from the deployment to an expert's grading,
in a real browser: nobody waits for April to turn into October, the administrator moves the
instance's clock at /admin/clock (to the next timer, or to a date) and what falls due fires.

One province (Zhejiang) with one activity hosted by Hangzhou: the Ministry officer deploys,
Zhejiang deploys and plans, the Ministry approves, Hangzhou plans, prepares, holds and
publicises the activity, its material deadline passes, the Ministry reports, Zhejiang
summarises, the evaluation date comes and the expert grades Zhejiang. Every step but one (the
Ministry approving no exchange, see below) is a click in the page, every move of time is the
admin's, with the simulated date on every page."""
import json
from datetime import datetime

import pytest
from sqlalchemy import select

from engine import Engine
from engine.campaign import setup as campaign
from engine.clock import ManualClock
from engine.config import ROOT, Settings
from engine.models.files import collect
from engine.people import organisations
from engine.storage import Case
from engine.storage.schema import upgrade
from tests.browser.conftest import serving
from tests.browser.test_province_story import CampaignServer, _fill_activity, _open_task
from tests.conftest import START

pytestmark = pytest.mark.browser

PROCESSES = ROOT / "processes"


@pytest.fixture
def training_campaign(tmp_path):
    """The campaign as `make run` sets it up (a training instance), for Zhejiang alone."""
    from web import create_app
    real = ManualClock(START)  # "the real time": it stands still, only the admin moves time
    settings = Settings(instance_path=tmp_path / "instance", training=True,
                        database_url=f"sqlite:///{tmp_path / 'training.sqlite3'}",
                        forms_dir=ROOT / "forms", script_time_limit=2.0)
    engine = Engine(settings, real)
    upgrade(engine.db)
    with engine.db.transaction() as session:
        organisations.import_organisations(session, PROCESSES / "organisations.csv")
    users = campaign.setup_demo(engine, PROCESSES / "demo-users.csv", tmp_path / "passwords.json")
    for model in collect([PROCESSES]):
        engine.deploy(model.files)
    calendar = json.loads((PROCESSES / "calendar-2016.json").read_text("utf-8"))
    calendar["provinces"] = ["zj"]
    calendar_file = tmp_path / "calendar.json"
    calendar_file.write_text(json.dumps(calendar, ensure_ascii=False), "utf-8")
    campaign.start_campaign(engine, calendar_file, "ministry_officer")
    app = create_app({"TESTING": False}, engine=engine)
    try:
        with serving(app) as url:
            yield CampaignServer(url, engine, real, calendar, {u.username: u.password for u in users})
    finally:
        engine.close()


def _task(page, server, name):
    """Open task `name`: the page it is on already (a completion goes straight on to the
    person's next task), or from the inbox."""
    if page.locator("h1").count() and page.locator("h1").first.inner_text() == name:
        return
    page.goto(f"{server.url}/tasks")
    _open_task(page, name)


def _simulated(page) -> str:
    return page.locator("#training-banner time").inner_text()


def _complete(page, name):
    page.click("button[name=complete]")
    page.wait_for_load_state()
    if page.locator(".flash-success").count() == 0:
        page.screenshot(path="test-artifacts/training-failed-step.png", full_page=True)
    assert name in page.locator(".flash-success").inner_text(timeout=2000)


def _clock_to_next_timer(server, page):
    server.sign_in(page, "admin")
    page.goto(f"{server.url}/admin/clock")
    page.click("form.move-to-next button")
    assert page.locator(".flash-success").is_visible()
    return page.locator("#simulated-now").inner_text()


def _clock_to(server, page, day, at="09:30"):
    server.sign_in(page, "admin")
    page.goto(f"{server.url}/admin/clock")
    page.fill("#clock-date", day)
    page.fill("#clock-time", at)
    page.click("form.move-to-date button")
    assert page.locator(".flash-success").is_visible()
    assert page.locator("#simulated-now").inner_text() == f"{day} {at}"


def _stage(server):
    with server.engine.db.read() as s:
        return s.scalar(select(Case).where(Case.process_key == "campaign")).facts.get("stage")


def test_the_campaign_from_deployment_to_grading(training_campaign, browser_page, artifacts):
    server, page = training_campaign, browser_page
    deployment = datetime.fromisoformat(server.calendar["dates"]["deployment"])

    # 1 April: nothing to do yet; the admin moves the clock to the next timer, the deployment
    server.sign_in(page, "ministry_officer")
    assert _simulated(page) == "2016-04-01 09:00"
    assert page.locator("a.task-link").count() == 0
    assert _clock_to_next_timer(server, page) == "2016-04-05 09:00"
    assert server.engine.now() > deployment
    page.screenshot(path=artifacts / "training-clock-deployment-zh.png", full_page=True)

    # the Ministry deploys the campaign for Zhejiang
    server.sign_in(page, "ministry_officer")
    _task(page, server, "对区域文化联动活动进行安排部署")
    page.fill("input[name=notice_title]", "关于开展2016年区域文化联动活动的通知")
    page.fill("textarea[name=notice]", "请各省于4月20日前报送落实方案。")
    _complete(page, "对区域文化联动活动进行安排部署")

    # Zhejiang deploys its provincial work and submits its plan: one activity, in Hangzhou
    server.sign_in(page, "zj_staff")
    _task(page, server, "部署省内及跨省区域文化联动工作")
    page.fill("textarea[name=intra_provincial]", "召开全省区域文化联动工作部署会。")
    page.select_option("select[name=contacted_cities]", label="苏州市")
    page.click("button[name=complete]")
    _task(page, server, "策划活动项目，制定并报送落实方案")
    page.fill("textarea[name=plan_summary]", "浙江省区域文化联动落实方案：越剧联动展演。")
    _fill_activity(page, 0, "越剧联动展演", "zj-hangzhou", "performance", "mass_activities",
                   ["js-suzhou"], "2016-06-10", "2016-06-12", "杭州大剧院", "50000")
    page.check("input[name=host_exchange][value=no]")
    _complete(page, "策划活动项目")

    # the Ministry approves it; Zhejiang reports its progress
    server.sign_in(page, "ministry_officer")
    _task(page, server, "审核省级落实方案")
    page.select_option("select[name=plan_decision]", "approve")
    page.fill("textarea[name=review_comments]", "同意。")
    _complete(page, "审核省级落实方案")
    server.sign_in(page, "zj_staff")
    _task(page, server, "报送工作进展情况")
    page.fill("[name=progress]", "越剧联动展演筹备中。")
    _complete(page, "报送工作进展情况")

    # May: the implementation starts when the admin moves the clock there
    _clock_to(server, page, "2016-05-01", "10:00")
    # no province applied to host a national exchange: the Ministry approves none. The task
    # form will not take an empty list for its required "approved" rows (the engine does), so
    # this one step goes through the engine, as the rehearsal's does
    ministry = server.engine.tasks("ministry_officer")
    approve = next(t for t in ministry if t.name == "审批全国专题经验交流申报")
    server.engine.complete_task(approve.id, "ministry_officer",
                                {"approved": [], "approval_note": "本年度无省份申报承办。"})
    server.sign_in(page, "hangzhou_staff")
    _task(page, server, "完善活动方案（形式、主题、合作城市、时间、地点、预算与赞助）")
    assert page.input_value("input[name=name]") == "越剧联动展演"
    if not page.input_value("input[name=sponsorship]"):
        page.fill("input[name=sponsorship]", "0")
    _complete(page, "完善活动方案")
    _task(page, server, "筹备活动（人、财、物保障）")
    for name in ("staff_ready", "funds_ready", "materials_ready"):
        page.check(f"input[name={name}][value=yes]")
    _complete(page, "筹备活动")

    # June: the activity is held and publicised
    _clock_to(server, page, "2016-06-12", "20:00")
    server.sign_in(page, "hangzhou_staff")
    assert _simulated(page) == "2016-06-12 20:00"
    _task(page, server, "举办活动")
    page.fill("input[name=held_on]", "2016-06-12")
    page.fill("input[name=participants]", "800")
    _complete(page, "举办活动")
    _task(page, server, "组织新闻媒体宣传报道")
    page.select_option("select[name='reports-0-medium']", "newspaper")
    page.fill("input[name='reports-0-title']", "越剧联动展演在杭州大剧院举行")
    _complete(page, "组织新闻媒体宣传报道")
    page.goto(f"{server.url}/tasks")
    assert page.locator("a.task-link").all_inner_texts() == ["报送活动总结及节目单、图片、影像资料"]

    # the material never comes: the admin moves to the next timer, its deadline closes it
    _clock_to_next_timer(server, page)
    with server.engine.db.read() as s:
        activity = s.scalar(select(Case).where(Case.process_key == "activity"))
        assert activity.status == "completed"

    # October: the implementation ends, the Ministry reports, Zhejiang summarises
    _clock_to(server, page, "2016-10-08")
    server.sign_in(page, "ministry_officer")
    _task(page, server, "汇总各地材料，向领导小组汇报工作进展")
    page.fill("[name=report]", "浙江省区域文化联动活动已全部完成。")
    _complete(page, "汇总各地材料")
    server.sign_in(page, "zj_staff")
    _task(page, server, "总结并自评估本省区域文化联动工作")
    page.fill("[name=summary]", "浙江省区域文化联动工作总结。")
    page.fill("[name=self_score]", "88")
    _complete(page, "总结并自评估本省区域文化联动工作")


    # the evaluation date: the admin moves to the next timer; the expert grades Zhejiang
    assert _clock_to_next_timer(server, page).startswith("2016-10-20")
    assert _stage(server) == "evaluation"
    server.sign_in(page, "expert")
    assert _simulated(page).startswith("2016-10-20")
    page.screenshot(path=artifacts / "training-expert-inbox-zh.png", full_page=True)
    titles = page.locator("a.task-link").all_inner_texts()
    assert titles.count("专家综合评分") == 2  # Zhejiang and Hangzhou
    row = page.locator("tr", has_text="浙江省文化厅").filter(has=page.locator("a.task-link"))
    row.first.locator("a.task-link").click()
    assert page.locator("h1").inner_text() == "专家综合评分"
    page.fill("input[name=expert_score]", "91")
    page.screenshot(path=artifacts / "training-expert-grading-zh.png", full_page=True)
    _complete(page, "专家综合评分")
    with server.engine.db.read() as s:
        graded = s.scalar(select(Case).where(Case.business_key == "evaluation-zj"))
        assert graded.facts.get("expert_score") == 91 or "91" in json.dumps(graded.facts)
