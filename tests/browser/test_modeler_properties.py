"""The modeler's properties panel in a real browser (issue 16): a process owner edits what a
model does in the diagram (a script, a condition, a pre-script, a timer, a user task's form
and instructions, a lane's role), deploys, and the deployed version runs with the new value.
Live checks mark a broken expression as it is typed. Chinese and English; screenshots in
test-artifacts/."""
import shutil
from datetime import timedelta

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlalchemy import select

from engine.models.forms import FormStore
from engine.people import identity
from engine.storage import CaseTask, Timer, User
from tests.conftest import DATA, ROOT

pytestmark = pytest.mark.browser

DEMO = DATA / "panel_demo.bpmn"
EXCHANGE = ROOT / "processes" / "exchange" / "exchange.bpmn"


@pytest.fixture
def owner(live_server, browser, tmp_path):
    """A function giving a process owner's page in a locale, the panel demo deployed."""
    forms = tmp_path / "forms"
    shutil.copytree(ROOT / "forms", forms)
    engine = live_server.engine
    engine.forms = FormStore(forms, sandbox=engine.script_engine, db=engine.db)
    live_server.engine.deploy({"panel_demo.bpmn": DEMO.read_bytes()})
    with live_server.engine.db.transaction() as s:
        identity.create_user(s, "owner", password="secret-pass", display_name="流程负责人",
                             memberships=[("ministry", "process_owner")])
    pages = []

    def page_in(locale, key="panel_demo"):
        with live_server.engine.db.transaction() as s:
            s.scalar(select(User).where(User.username == "owner")).locale = locale
        page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
        page.set_default_timeout(30_000)
        page.add_init_script("window.__pageErrors = [];"
                             "addEventListener('error', e => __pageErrors.push(String(e.message)));"
                             "addEventListener('unhandledrejection', e => __pageErrors.push(String(e.reason)));")
        live_server.sign_in(page, "owner")
        page.goto(f"{live_server.url}/processes/modeler?key={key}")
        page.evaluate("window.liandongModeler.ready")
        pages.append(page)
        return page
    yield page_in
    for page in pages:
        page.context.close()


def select_element(page, element_id):
    """Select an element on the canvas as a click would, and wait until the panel shows it
    (its id field), so a test never acts on the previous element's panel. The selection is
    made again if the panel did not follow (it listens from an effect run after a paint)."""
    page.click("a[data-tab=element]")
    shown = ("id => { const input = document.querySelector('#bio-properties-panel-id'); "
             "return !!input && input.value === id; }")
    for _ in range(3):
        page.evaluate("id => { const m = window.liandongModeler.modeler, s = m.get('selection'); "
                      "s.select(null); s.select(m.get('elementRegistry').get(id)); }", element_id)
        try:
            page.wait_for_function(shown, arg=element_id, timeout=5_000)
            return
        except PlaywrightTimeout:
            continue
    state = page.evaluate("""id => { const m = window.liandongModeler.modeler;
        return { inRegistry: !!m.get('elementRegistry').get(id),
                 selected: m.get('selection').get().map(e => e.id),
                 header: (document.querySelector('.bio-properties-panel-header') || {}).textContent,
                 errors: window.__pageErrors || [] }; }""", element_id)
    raise AssertionError(f"the panel never showed {element_id}: {state}")


def type_code(page, entry_id, text, saved=None):
    """Replace the text of a CodeMirror entry of the panel, as typed, and wait until the
    diagram holds it (`saved`: how it reads in the XML)."""
    editor = page.locator(f"[data-entry-id='{entry_id}'] .cm-content")
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.type(text)
    wait_saved(page, saved or text)


def fill(page, entry_id, text, saved=None):
    page.locator(f"#bio-properties-panel-{entry_id}").fill(text)
    wait_saved(page, saved or text)


def wait_saved(page, text):
    for _ in range(50):
        if text in xml_of(page):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"{text!r} never reached the diagram")


def deploy(page):
    result = page.evaluate("window.liandongModeler.deploy()")
    assert result["_status"] == 200, result
    return result


def open_tasks(engine, case_id):
    with engine.db.read() as s:
        return [t.element_id for t in s.scalars(select(CaseTask).where(
            CaseTask.case_id == case_id, CaseTask.completed_at.is_(None)))]


def xml_of(page):
    return page.evaluate("window.liandongModeler.modeler.saveXML().then(r => r.xml)")


def test_script_and_condition_edited_in_the_panel_change_the_path_taken(live_server, owner, artifacts):
    engine = live_server.engine
    page = owner("zh_CN")
    assert page.locator("#canvas .djs-minimap").count() == 1
    assert page.locator("#canvas .djs-minimap.open").count() == 0  # a small model needs none
    page.screenshot(path=str(artifacts / "properties-opened-zh.png"))

    select_element(page, "Script_Score")
    assert "脚本" in page.inner_text("#properties-panel")
    type_code(page, "script", "score = 7")
    select_element(page, "Flow_High")
    fill(page, "conditionExpression", "score >= 7", saved="score &gt;= 7")
    page.screenshot(path=str(artifacts / "properties-condition-zh.png"))

    assert deploy(page)["version"] == 2
    started = engine.start_case("panel_demo", "zj_staff", {})
    assert open_tasks(engine, started.case_id) == ["Task_High"]
    assert engine.case_data(started.case_id, "admin")["score"] == 7


def test_pre_script_and_timer_edited_in_english_run_in_the_deployed_version(live_server, owner, artifacts):
    engine = live_server.engine
    page = owner("en")
    select_element(page, "Task_Low")
    assert "Pre-script" in page.inner_text("#properties-panel")
    type_code(page, "preScript", "note = 'checked by the owner'")

    select_element(page, "Timer_Remind")
    value = page.locator("#bio-properties-panel-timerValue")
    assert value.input_value() == "PT1H"
    fill(page, "timerValue", "P2D")
    page.wait_for_selector(".timer-meaning .timer-words:has-text('2 days')")
    assert page.locator(".timer-meaning ol.timer-due li").count() == 1

    page.select_option("#bio-properties-panel-timerType", "timeCycle")
    value.fill("R3/2016-04-04T09:00:00+08:00/P1W")
    page.wait_for_selector(".timer-meaning .timer-words:has-text('every Monday 09:00, 3 times')")
    assert page.locator(".timer-meaning ol.timer-due li").all_inner_texts() == [
        "2016-04-04 09:00", "2016-04-11 09:00", "2016-04-18 09:00"]
    page.screenshot(path=str(artifacts / "properties-timer-en.png"))

    page.select_option("#bio-properties-panel-timerType", "timeDuration")
    fill(page, "timerValue", "P2D")
    page.wait_for_selector(".timer-meaning .timer-words:has-text('2 days')")
    assert deploy(page)["version"] == 2
    started = engine.start_case("panel_demo", "zj_staff", {})
    assert open_tasks(engine, started.case_id) == ["Task_Low"]
    assert engine.case_data(started.case_id, "admin")["note"] == "checked by the owner"
    with engine.db.read() as s:
        due = s.scalar(select(Timer.due_at).where(Timer.case_id == started.case_id))
    assert due.replace(tzinfo=None) == (engine.now() + timedelta(days=2)).replace(tzinfo=None)


def test_timer_preview_in_chinese(owner, artifacts):
    page = owner("zh_CN")
    select_element(page, "Timer_Remind")
    page.select_option("#bio-properties-panel-timerType", "timeCycle")
    page.locator("#bio-properties-panel-timerValue").fill("R3/2016-04-04T09:00:00+08:00/P1W")
    page.wait_for_selector(".timer-meaning .timer-words:has-text('每星期一 09:00，共 3 次')")
    assert "下次到期" in page.inner_text(".timer-meaning")
    page.screenshot(path=str(artifacts / "properties-timer-zh.png"))


def test_form_and_instructions_chosen_in_the_panel_reach_the_task(live_server, owner, artifacts):
    engine = live_server.engine
    page = owner("zh_CN")
    select_element(page, "Task_High")
    page.select_option("#bio-properties-panel-formJsonSchemaFilename", "activity-plan-schema.json")
    fill(page, "nameEn", "Recommend for the exhibition")  # issue 17's English name, beside the form
    xml = xml_of(page)
    assert '<spiffworkflow:property name="formJsonSchemaFilename" value="activity-plan-schema.json" />' in xml
    assert '<spiffworkflow:property name="name_en" value="Recommend for the exhibition" />' in xml
    fill(page, "instructions", "## 推荐\n得分 **{{ score }}**，请填写推荐意见。", saved="请填写推荐意见")
    page.wait_for_selector(".instructions-preview h2")
    page.screenshot(path=str(artifacts / "properties-user-task-zh.png"))
    select_element(page, "Script_Score")
    type_code(page, "script", "score = 9")
    assert deploy(page)["version"] == 2
    started = engine.start_case("panel_demo", "zj_staff", {})
    with engine.db.read() as s:
        task = s.scalar(select(CaseTask).where(CaseTask.case_id == started.case_id,
                                               CaseTask.completed_at.is_(None)))
    assert task.element_id == "Task_High"
    live_server.sign_in(page, "zj_staff")
    page.goto(f"{live_server.url}/tasks/{task.id}")
    assert "请填写推荐意见" in page.inner_text("main")
    assert page.locator("form input, form select, form textarea").count() > 2  # the plan form


def test_decision_chosen_from_the_models_own_files_runs(live_server, owner, artifacts):
    engine = live_server.engine
    engine.deploy({name: (DATA / name).read_bytes() for name in ("rule_demo.bpmn", "discount.dmn", "discount_v2.dmn")})
    page = owner("en", key="rule_demo")
    select_element(page, "Rule_Discount")
    decision = page.locator("#bio-properties-panel-calledDecision")
    assert decision.input_value() == "Decision_discount"
    labels = page.locator("#bio-properties-panel-calledDecision option").all_inner_texts()
    assert "Discount by tier, 2016 rates (discount_v2.dmn)" in labels
    decision.select_option("Decision_discount_v2")
    wait_saved(page, "<spiffworkflow:calledDecisionId>Decision_discount_v2</spiffworkflow:calledDecisionId>")
    page.screenshot(path=str(artifacts / "properties-decision-en.png"))
    assert deploy(page)["version"] == 2
    started = engine.start_case("rule_demo", "zj_staff", {})
    assert engine.case_data(started.case_id, "admin")["discount"] == 0.25


def test_multi_instance_collection_survives_opening_and_is_edited_by_name(live_server, owner, artifacts):
    engine = live_server.engine
    engine.deploy({"mi_demo.bpmn": (DATA / "mi_demo.bpmn").read_bytes()})
    page = owner("zh_CN", key="mi_demo")
    assert "<bpmn:loopDataInputRef>cities</bpmn:loopDataInputRef>" in xml_of(page)  # not dropped by bpmn-js
    assert page.evaluate("window.liandongModeler.deploy()")["created"] is False  # nothing changed
    select_element(page, "Task_Visit")
    assert page.locator("#bio-properties-panel-miCollection").input_value() == "cities"
    fill(page, "miCollection", "venues", saved="<bpmn:loopDataInputRef>venues</bpmn:loopDataInputRef>")
    fill(page, "miElement", "venue", saved='name="venue"')
    page.screenshot(path=str(artifacts / "properties-multi-instance-zh.png"))
    assert deploy(page)["version"] == 2
    started = engine.start_case("mi_demo", "zj_staff", {"venues": ["杭州", "宁波", "温州"]})
    assert open_tasks(engine, started.case_id) == ["Task_Visit"] * 3


def test_called_process_chosen_from_the_models_own_files_runs(live_server, owner, artifacts):
    engine = live_server.engine
    folder = DATA / "call_demo"
    assert engine.deploy({p.name: p.read_bytes() for p in folder.iterdir()})[:3] == ("call_demo", 1, True)
    page = owner("en", key="call_demo")
    select_element(page, "Call_Book")
    called = page.locator("#bio-properties-panel-calledElement")
    assert called.input_value() == "Book_by_phone"
    assert "Book online (helpers.bpmn)" in page.locator("#bio-properties-panel-calledElement option").all_inner_texts()
    called.select_option("Book_online")
    wait_saved(page, 'calledElement="Book_online"')
    page.screenshot(path=str(artifacts / "properties-call-activity-en.png"))
    assert deploy(page)["version"] == 2
    started = engine.start_case("call_demo", "zj_staff", {})
    assert engine.case_data(started.case_id, "admin")["booked_by"] == "online"


def test_a_large_model_opens_fitted_clear_of_the_palette_with_the_minimap(live_server, owner, artifacts):
    campaign = ROOT / "processes" / "campaign"
    live_server.engine.deploy({p.name: p.read_bytes() for p in campaign.iterdir() if p.suffix == ".bpmn"},
                              form_exists=lambda name: True)
    page = owner("zh_CN", key="campaign")
    assert page.locator("#canvas .djs-minimap.open").count() == 1
    palette = page.locator("#canvas .djs-palette").bounding_box()
    drawn = page.locator("#canvas .djs-container > svg g.viewport").first.bounding_box()
    canvas = page.locator("#canvas").bounding_box()
    minimap = page.locator("#canvas .djs-minimap").bounding_box()
    assert drawn["x"] > palette["x"] + palette["width"]  # clear of the palette
    assert drawn["y"] + drawn["height"] < minimap["y"]  # and of the minimap
    assert drawn["width"] > canvas["width"]  # readable, not squeezed: the minimap finds the rest
    page.screenshot(path=str(artifacts / "properties-large-model-zh.png"))


def test_lane_role_chosen_from_the_roles_that_exist(live_server, owner, artifacts):
    engine = live_server.engine
    engine.deploy({"exchange.bpmn": EXCHANGE.read_bytes()})
    page = owner("en", key="exchange")
    lane = page.evaluate("window.liandongModeler.modeler.get('elementRegistry').filter("
                         "e => e.type === 'bpmn:Lane' && e.businessObject.name === 'expert')[0].id")
    select_element(page, lane)
    options = page.locator("#bio-properties-panel-laneRole option").all_inner_texts()
    assert {"ministry", "province", "expert"} <= set(options)
    page.select_option("#bio-properties-panel-laneRole", "province")
    page.screenshot(path=str(artifacts / "properties-lane-en.png"))
    assert deploy(page)["version"] == 2
    assert 'name="province"' in xml_of(page)


def test_live_checks_mark_a_broken_condition_and_clear_when_fixed(owner, artifacts):
    page = owner("zh_CN")
    select_element(page, "Flow_High")
    page.locator("#bio-properties-panel-conditionExpression").fill("score >")
    page.wait_for_selector("[data-entry-id='conditionExpression'].has-error")
    assert "脚本语法错误" in page.inner_text("[data-entry-id='conditionExpression'] .bio-properties-panel-error")
    assert page.evaluate("window.liandongModeler.modeler.get('canvas').hasMarker('Flow_High', 'live-error')")
    assert page.locator(".live-badge[data-element='Flow_High']").count() == 1
    assert page.locator("li.problem[data-element='Flow_High']").count() == 1
    page.screenshot(path=str(artifacts / "properties-live-error-zh.png"))
    page.click("a[data-tab=problems]")
    assert "条件" in page.inner_text("#problem-list")
    page.screenshot(path=str(artifacts / "properties-problems-zh.png"))

    select_element(page, "Flow_High")
    page.locator("#bio-properties-panel-conditionExpression").fill("score > 6")
    page.wait_for_selector("[data-entry-id='conditionExpression']:not(.has-error)")
    page.wait_for_function("!window.liandongModeler.modeler.get('canvas').hasMarker('Flow_High', 'live-error')")
    page.click("a[data-tab=problems]")
    assert page.locator("li.problem").count() == 0
    assert "表达式、脚本和定时器没有问题" in page.inner_text("#problems-empty")


def test_data_passed_in_and_out_of_a_called_process_edited_in_the_panel(live_server, owner, artifacts):
    """The called process's data inputs and outputs (its ioSpecification, as SpiffWorkflow's
    call activity reads it): without them all data passes both ways; with them the called
    process sees only the inputs and the caller gets back only the outputs."""
    engine = live_server.engine
    folder = DATA / "call_data"
    assert engine.deploy({p.name: p.read_bytes() for p in folder.iterdir()})[:3] == ("call_data", 1, True)
    before = engine.case_data(engine.start_case("call_data", "zj_staff", {}).case_id, "admin")
    assert before["total"] == 240 and before["seen_secret"] is True and before["scratch"] == "working note"

    page = owner("zh_CN", key="call_data")
    page.evaluate("window.liandongModeler.open('counter.bpmn')")
    page.wait_for_selector("#canvas [data-element-id='Script_Count']")
    select_element(page, "Count_visitors")
    assert "被其他流程调用时的数据" in page.inner_text("#properties-panel")
    inputs = page.locator("#bio-properties-panel-processInputs")
    inputs.fill("visitors, 2x")
    page.wait_for_selector("[data-entry-id='processInputs'] .bio-properties-panel-error:has-text('2x')")
    assert "ioSpecification" not in xml_of(page)
    fill(page, "processInputs", "visitors", saved='<bpmn:dataInput id="visitors" name="visitors" />')
    fill(page, "processOutputs", "total，seen_secret", saved="<bpmn:dataOutputRefs>seen_secret</bpmn:dataOutputRefs>")
    page.screenshot(path=str(artifacts / "properties-call-data-zh.png"))
    xml = xml_of(page)
    assert "<bpmn:dataInputRefs>visitors</bpmn:dataInputRefs>" in xml
    assert '<bpmn:dataOutput id="total" name="total" />' in xml

    assert deploy(page)["version"] == 2
    after = engine.case_data(engine.start_case("call_data", "zj_staff", {}).case_id, "admin")
    assert after["total"] == 240 and after["seen_secret"] is False
    assert "scratch" not in after and after["secret"] == "for the caller only"

    # Reopened, the panel shows what was saved; emptied, everything passes again.
    page.reload()
    page.evaluate("window.liandongModeler.ready")
    page.evaluate("window.liandongModeler.open('counter.bpmn')")
    page.wait_for_selector("#canvas [data-element-id='Script_Count']")
    select_element(page, "Count_visitors")
    assert page.locator("#bio-properties-panel-processInputs").input_value() == "visitors"
    assert page.locator("#bio-properties-panel-processOutputs").input_value() == "total, seen_secret"


def test_user_task_due_date_edited_in_the_panel_reaches_the_inbox(live_server, owner, artifacts):
    """A task's due date is its boundary timer's: the user-task group edits it, with the
    timer's live check and preview; a task without one gets one added."""
    engine = live_server.engine
    page = owner("zh_CN")
    select_element(page, "Task_Low")
    assert "办理期限" in page.inner_text("#properties-panel")
    due = page.locator("#bio-properties-panel-dueValue")
    assert due.input_value() == "PT1H"
    due.fill("P5X")
    page.wait_for_selector("[data-entry-id='dueValue'] .bio-properties-panel-error")
    fill(page, "dueValue", "P5D", saved=">P5D</bpmn:timeDuration>")
    page.wait_for_selector(".timer-meaning .timer-words:has-text('5')")
    assert "天" in page.inner_text(".timer-meaning .timer-words")
    assert page.locator("[data-entry-id='dueValue'] .bio-properties-panel-error").count() == 0
    page.screenshot(path=str(artifacts / "properties-due-zh.png"))

    select_element(page, "Task_High")
    page.click("[data-entry-id='dueAdd'] button")
    page.wait_for_selector("#bio-properties-panel-dueValue")
    assert page.locator("#bio-properties-panel-dueValue").input_value() == "P7D"
    fill(page, "dueValue", "P10D", saved=">P10D</bpmn:timeDuration>")
    assert 'attachedToRef="Task_High"' in xml_of(page)
    page.screenshot(path=str(artifacts / "properties-due-added-zh.png"))

    assert deploy(page)["version"] == 2
    started = engine.start_case("panel_demo", "zj_staff", {})
    with engine.db.read() as s:
        due_at = s.scalar(select(CaseTask.due_at).where(CaseTask.case_id == started.case_id,
                                                       CaseTask.element_id == "Task_Low"))
    expected = engine.now() + timedelta(days=5)
    assert due_at.replace(tzinfo=None) == expected.replace(tzinfo=None)
    inbox = page.context.new_page()
    live_server.sign_in(inbox, "zj_staff")
    inbox.goto(f"{live_server.url}/tasks")
    assert inbox.locator("time").first.get_attribute("datetime")[:16] == expected.isoformat()[:16]
    inbox.screenshot(path=str(artifacts / "properties-due-inbox-zh.png"))
