"""The properties panel's events in a real browser (issue 16): a message's content and the
variable that receives it, an intermediate timer and a start timer, each edited in the
panel, deployed, and run by the engine with the new value."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from engine.storage import Case, Timer
from tests.browser.test_modeler_properties import (  # noqa: F401 (owner is a fixture)
    deploy, fill, open_tasks, owner, select_element, xml_of)
from tests.conftest import DATA

pytestmark = pytest.mark.browser


def test_message_content_variable_and_intermediate_timer_edited_in_the_panel_run(live_server, owner, artifacts):
    engine = live_server.engine
    engine.deploy({"signals_demo.bpmn": (DATA / "signals_demo.bpmn").read_bytes()})
    page = owner("zh_CN", key="signals_demo")

    select_element(page, "Throw_Figures")
    assert "消息内容" in page.inner_text("#properties-panel")
    assert page.locator("#bio-properties-panel-messagePayload").input_value() == "{'count': visitors}"
    fill(page, "messagePayload", "{'count': visitors * 2, 'org': 'zj'}",
         saved="{'count': visitors * 2, 'org': 'zj'}</spiffworkflow:messagePayload>")
    select_element(page, "Catch_Figures")
    fill(page, "messageVariable", "received", saved=">received</spiffworkflow:messageVariable>")
    page.screenshot(path=str(artifacts / "properties-message-zh.png"))
    select_element(page, "Timer_Wait")
    fill(page, "timerValue", "PT3H")
    page.wait_for_selector(".timer-meaning .timer-words:has-text('3')")

    assert deploy(page)["version"] == 2
    started = engine.start_case("signals_demo", "zj_staff", {"visitors": 5})
    [prepare] = engine.tasks("zj_staff", case_id=started.case_id)
    assert prepare.element_id == "Task_Prepare"
    engine.complete_task(prepare.id, "zj_staff", {})
    data = engine.case_data(started.case_id, "admin")
    assert data["received"] == {"count": 10, "org": "zj"} and "got" not in data
    with engine.db.read() as s:
        due = s.scalar(select(Timer.due_at).where(Timer.case_id == started.case_id, Timer.status == "pending"))
    assert due.replace(tzinfo=None) == (engine.now() + timedelta(hours=3)).replace(tzinfo=None)
    live_server.clock.set(engine.now() + timedelta(hours=2))
    engine.fire_due_timers()
    assert open_tasks(engine, started.case_id) == []
    live_server.clock.set(engine.now() + timedelta(hours=1, seconds=1))
    assert engine.fire_due_timers().fired == 1
    assert open_tasks(engine, started.case_id) == ["Task_Review"]


def test_start_timer_edited_in_the_panel_starts_the_case_when_due(live_server, owner, artifacts):
    engine = live_server.engine
    engine.deploy({"timed_start.bpmn": (DATA / "timed_start.bpmn").read_bytes()})
    page = owner("en", key="timed_start")
    select_element(page, "Start_Timed")
    assert page.locator("#bio-properties-panel-timerType").input_value() == "timeDate"
    fill(page, "timerValue", '"2016-04-05T09:00:00+08:00"', saved="2016-04-05T09:00:00+08:00")
    page.wait_for_selector(".timer-meaning ol.timer-due li:has-text('2016-04-05 09:00')")
    page.screenshot(path=str(artifacts / "properties-start-timer-en.png"))

    assert deploy(page)["version"] == 2
    due = datetime(2016, 4, 5, 1, tzinfo=timezone.utc)
    with engine.db.read() as s:
        pending = s.scalars(select(Timer.due_at).where(Timer.case_id.is_(None), Timer.status == "pending")).all()
    assert [d.replace(tzinfo=None) for d in pending] == [due.replace(tzinfo=None)]
    live_server.clock.set(datetime(2016, 4, 3, 2, tzinfo=timezone.utc))  # version 1's date: replaced
    assert engine.fire_due_timers().fired == 0
    live_server.clock.set(due + timedelta(seconds=1))
    assert engine.fire_due_timers().fired == 1
    with engine.db.read() as s:
        [case] = s.scalars(select(Case).where(Case.process_key == "timed_start")).all()
        assert case.status == "running"
        case_id = case.id
    assert open_tasks(engine, case_id) == ["Task_Report"]


def test_message_correlation_edited_in_the_panel_is_what_spiffworkflow_reads(live_server, owner, artifacts):
    """The correlation belongs to the message (one bpmn:correlationProperty with a retrieval
    expression for it): edited on one event, shown on the other, checked live, parsed by
    SpiffWorkflow as the events' correlation, and the message still reaches its catch."""
    from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
    engine = live_server.engine
    engine.deploy({"signals_demo.bpmn": (DATA / "signals_demo.bpmn").read_bytes()})
    page = owner("zh_CN", key="signals_demo")
    select_element(page, "Catch_Figures")
    assert "消息匹配依据" in page.inner_text("#properties-panel")
    page.locator("#bio-properties-panel-messageCorrelation").fill("org ==")
    page.wait_for_selector("[data-entry-id='messageCorrelation'] .bio-properties-panel-error")
    # bpmn-moddle writes the retrieval's messagePath as formalExpression; SpiffWorkflow reads either.
    fill(page, "messageCorrelation", "org", saved=">org</bpmn:formalExpression>")
    page.locator("[data-entry-id='messageCorrelation'] .bio-properties-panel-error").wait_for(state="detached")
    page.screenshot(path=str(artifacts / "properties-correlation-zh.png"))
    select_element(page, "Throw_Figures")
    assert page.locator("#bio-properties-panel-messageCorrelation").input_value() == "org"
    select_element(page, "Throw_Figures")
    fill(page, "messagePayload", "{'count': visitors, 'org': 'zj'}",
         saved="{'count': visitors, 'org': 'zj'}</spiffworkflow:messagePayload>")
    xml = xml_of(page)
    assert '<bpmn:correlationProperty id="CorrelationProperty_Message_figures" name="figures">' in xml
    assert 'messageRef="Message_figures"' in xml

    parser = SpiffBpmnParser()
    parser.add_bpmn_str(xml.encode(), "signals_demo.bpmn")
    spec = parser.get_spec("signals_demo")
    for task in ("Catch_Figures", "Throw_Figures"):
        [prop] = spec.task_specs[task].event_definition.correlation_properties
        assert (prop.name, prop.retrieval_expression) == ("CorrelationProperty_Message_figures", "org")

    assert deploy(page)["version"] == 2
    started = engine.start_case("signals_demo", "zj_staff", {"visitors": 4})
    [prepare] = engine.tasks("zj_staff", case_id=started.case_id)
    engine.complete_task(prepare.id, "zj_staff", {})
    assert engine.case_data(started.case_id, "admin")["got"] == {"count": 4, "org": "zj"}

    # Emptied, the correlation goes away with its property.
    select_element(page, "Catch_Figures")
    page.locator("#bio-properties-panel-messageCorrelation").fill("")
    for _ in range(50):
        if "correlationProperty" not in xml_of(page):
            break
        page.wait_for_timeout(100)
    assert "correlationProperty" not in xml_of(page)
