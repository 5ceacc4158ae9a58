"""A SpiffArena model's start form and task form in the browser, with SpiffArena's widgets,
in Chinese and English; screenshots go to test-artifacts/."""
import pytest

from engine.models.forms import FormStore
from engine.runtime import workflow as runtime
from engine.storage import Case

from tests.conftest import DATA

pytestmark = pytest.mark.browser

MODEL = DATA / "spiffarena" / "campaign" / "activity-registration"
KEY = "Process_activity_registration"


def test_spiffarena_widgets_in_both_languages(live_server, browser_page, artifacts):
    server, page, engine = live_server, browser_page, live_server.engine
    engine.forms = FormStore(MODEL, sandbox=engine.script_engine, db=engine.db)  # forms beside the BPMN
    engine.deploy({p.name: p.read_bytes() for p in MODEL.glob("*.bpmn")})
    server.sign_in(page, "zj_staff")

    page.goto(f"{server.url}/start/{KEY}")
    assert page.locator("input[name=campaign]").get_attribute("readonly") is not None
    assert page.locator("input[name=planned_on]").get_attribute("type") == "date"
    page.select_option("select[name=province]", "浙江")
    page.fill("input[name=planned_on]", "2016-05-01")
    page.check("input[name=urgent]")
    page.screenshot(path=artifacts / "spiffarena-start-zh.png", full_page=True)
    page.locator("form.start-form button[type=submit]").last.click()

    task = engine.tasks("zj_staff")[0]
    page.goto(f"{server.url}/tasks/{task.id}")
    assert page.locator("input[name=starts_at]").get_attribute("type") == "datetime-local"
    assert "为浙江登记活动" in page.content()
    page.fill("input[name=event_date]", "2016-05-10")
    page.fill("input[name=starts_at]", "2016-05-10T19:30")
    page.select_option("select[name=venue_kind]", "square")
    page.check("input[name=audience][value=all]")
    page.check("input[name=free_entry]")
    page.select_option("select[name=needs_permit]", "no")
    page.check("input[name=languages][value=zh]")
    page.fill("input[name=seats]", "300")
    page.fill("textarea[name=notes]", "广场舞展演")
    page.screenshot(path=artifacts / "spiffarena-task-zh.png", full_page=True)

    page.click("button[name=locale][value=en]")
    page.goto(f"{server.url}/tasks/{task.id}")
    assert page.locator("button[name=complete]").inner_text() == "Submit"
    page.fill("input[name=event_date]", "2016-05-10")
    page.select_option("select[name=venue_kind]", "square")
    page.fill("input[name=starts_at]", "2016-05-10T19:30")
    page.check("input[name=free_entry]")
    page.screenshot(path=artifacts / "spiffarena-task-en.png", full_page=True)
    page.click("button[name=complete]")
    page.wait_for_load_state()
    with engine.db.read() as s:
        case = s.get(Case, task.case_id)
        assert case.status == "completed"
        data = runtime.load(case.state, engine.specs.get(s, case.process_version_id),
                            engine.script_engine).data
    assert data["starts_at"] == "2016-05-10T19:30:00+08:00" and data["free_entry"] is True
    assert data["case_ref"] == f"ZJ-2016-{task.case_id}"
