"""Who may start a process by hand: the campaign's own models declare a start form or that
their parent (or the calendar) starts them (issue 13, item 2)."""
import pytest
from sqlalchemy import func, select

from engine import ExecutionError, Forbidden, InvalidData
from engine.reading import inbox as queries
from engine.storage import AuditEvent, Case

from tests.engine.campaign import campaign_support

campaign_engine, driver = campaign_support.campaign_engine, campaign_support.driver

EXCHANGE = {"province": "zj", "host_city": "zj-hangzhou", "theme": "digitalisation", "summary": "数字文化馆"}


def _cases(engine) -> int:
    with engine.db.read() as session:
        return session.scalar(select(func.count()).select_from(Case))


@pytest.mark.parametrize("key, user, starter", [
    ("province", "zj_staff", "its parent case"),
    ("activity", "hz_staff", "its parent case"),
    ("evaluation", "expert", "its parent case"),
    ("campaign", "ministry_officer", "liandong start-campaign"),
    ("province", "system", "its parent case"),  # not even the CLI's default user
])
def test_a_process_its_parent_starts_is_refused_by_hand(campaign_engine, key, user, starter):
    with pytest.raises(Forbidden) as refused:
        campaign_engine.start_case(key, user, {})
    assert f"'{key}' cannot be started by hand" in str(refused.value)
    assert starter in str(refused.value)
    assert _cases(campaign_engine) == 0  # nothing half-started, no NameError on a case


def test_the_start_page_offers_only_what_a_person_can_start(campaign_engine):
    engine = campaign_engine
    with engine.db.read() as session:
        offered = {user: [v.model.key for v in queries.startable_processes(session, engine.actor(user), engine.specs)]
                   for user in ("ministry_officer", "zj_staff", "hz_staff", "expert")}
        exchange = queries.startable(session, engine.actor("ministry_officer"), engine.specs, "exchange")
        assert queries.startable(session, engine.actor("ministry_officer"), engine.specs, "campaign") is None
    assert offered == {"ministry_officer": ["exchange"], "zj_staff": [], "hz_staff": [], "expert": []}
    assert exchange[1].form == "exchange-start-schema.json"


@pytest.mark.parametrize("data, fields", [
    ({}, {"province", "host_city", "theme"}),
    ({**EXCHANGE, "host_city": "杭州市"}, {"host_city"}),  # a name, not an organisation's code
    ({**EXCHANGE, "host_city": "zj"}, {"host_city"}),  # a province where a city is wanted
    ({**EXCHANGE, "theme": "   "}, {"theme"}),  # spaces are no answer
    ({**EXCHANGE, "theme": 7}, {"theme"}),
])
def test_the_start_form_refuses_bad_data_and_starts_nothing(campaign_engine, data, fields):
    with pytest.raises(InvalidData) as refused:
        campaign_engine.start_case("exchange", "ministry_officer", data)
    assert set(refused.value.field_errors) == fields
    assert _cases(campaign_engine) == 0


def test_an_exchange_started_by_hand_runs_to_its_end(campaign_engine, driver):
    """Before: its last script failed with "name 'province' is not defined"."""
    started = campaign_engine.start_case("exchange", "ministry_officer", {**EXCHANGE, "theme": " digitalisation　"})
    driver.complete("Task_Organise", "ministry_officer", {"held_on": "2016-06-01", "venue": "杭州",
                                                          "listen_summary": "听", "visit_summary": "看"})
    done = driver.complete("Task_ExpertReview", "expert", {"comments": "好", "score": 88})
    assert done.status == "completed"
    with campaign_engine.db.read() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.case_id == started.case_id,
                                                        AuditEvent.kind == "case_started"))
    assert event.detail["data"]["host_city"] == "zj-hangzhou"
    assert event.detail["data"]["theme"] == "digitalisation"  # stripped, as a task form's text is


def test_the_calendar_path_still_needs_the_start_data(campaign_engine):
    with pytest.raises(InvalidData) as refused:
        campaign_engine.start_case("evaluation", "system", {"unit": "zj"}, by_hand=False)
    assert "activities_held" in str(refused.value) and "activities_held" in refused.value.field_errors
    assert _cases(campaign_engine) == 0


def test_the_campaign_starts_its_provinces_with_their_data(campaign_engine, driver):
    driver.start(("zj",))
    assert driver.case("province").status == "running"
    assert driver.open("Task_SubmitPlan")


def test_a_parent_passing_too_little_fails_on_the_parent(campaign_engine):
    """A child's startData is a contract: the parent's script fails, noted on the parent."""
    engine = campaign_engine
    child = CHILD.replace("NEEDS", "x y")
    engine.deploy({"kid.bpmn": child.encode()})
    engine.deploy({"mum.bpmn": PARENT.replace("ITEM", "{'org': 'zj', 'x': 1}").encode()})
    with pytest.raises(ExecutionError) as failed:
        engine.start_case("mum", "system")
    assert "lacks y" in str(failed.value)
    engine.deploy({"mum.bpmn": PARENT.replace("ITEM", "{'org': 'zj', 'x': 1, 'y': 2}").encode()})
    engine.start_case("mum", "system")
    with engine.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Case).where(Case.process_key == "kid")) == 1


CHILD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="D" targetNamespace="t">
  <bpmn:process id="kid" isExecutable="true">
    <bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="startedBy" value="parent"/>
      <spiffworkflow:property name="startData" value="NEEDS"/>
    </spiffworkflow:properties></bpmn:extensionElements>
    <bpmn:startEvent id="S"/>
    <bpmn:manualTask id="T"/>
    <bpmn:endEvent id="E"/>
    <bpmn:sequenceFlow id="F1" sourceRef="S" targetRef="T"/>
    <bpmn:sequenceFlow id="F2" sourceRef="T" targetRef="E"/>
  </bpmn:process>
</bpmn:definitions>"""

PARENT = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D" targetNamespace="t">
  <bpmn:process id="mum" isExecutable="true">
    <bpmn:startEvent id="S"/>
    <bpmn:scriptTask id="Start_Kids"><bpmn:script>n = start_cases('kid', [ITEM], 'org')</bpmn:script></bpmn:scriptTask>
    <bpmn:manualTask id="T"/>
    <bpmn:endEvent id="E"/>
    <bpmn:sequenceFlow id="F1" sourceRef="S" targetRef="Start_Kids"/>
    <bpmn:sequenceFlow id="F2" sourceRef="Start_Kids" targetRef="T"/>
    <bpmn:sequenceFlow id="F3" sourceRef="T" targetRef="E"/>
  </bpmn:process>
</bpmn:definitions>"""
