"""The start page, the API and the CLI hold a model's start rule: a start form is drawn and
enforced; a process its parent starts is not offered and is refused (issue 13, item 2)."""
import json

import pytest
from sqlalchemy import func, select

from engine.storage import Case

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="D" targetNamespace="t">
  <bpmn:process id="{key}" name="{name}" isExecutable="true">{process_props}
    <bpmn:startEvent id="S">{start_props}</bpmn:startEvent>
    <bpmn:userTask id="Task_Check" name="核对"/>
    <bpmn:scriptTask id="Script_Use"><bpmn:script>summary = title + ': ' + str(budget)</bpmn:script></bpmn:scriptTask>
    <bpmn:endEvent id="E"/>
    <bpmn:sequenceFlow id="F1" sourceRef="S" targetRef="Task_Check"/>
    <bpmn:sequenceFlow id="F2" sourceRef="Task_Check" targetRef="Script_Use"/>
    <bpmn:sequenceFlow id="F3" sourceRef="Script_Use" targetRef="E"/>
  </bpmn:process>
</bpmn:definitions>"""
START_FORM = """<bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="formJsonSchemaFilename" value="plan-schema.json"/>
    </spiffworkflow:properties></bpmn:extensionElements>"""
BY_PARENT = """<bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="startedBy" value="parent"/>
      <spiffworkflow:property name="startData" value="title budget"/>
    </spiffworkflow:properties></bpmn:extensionElements>"""


@pytest.fixture
def models(app):
    engine = app.extensions["liandong"]
    engine.deploy({"intake.bpmn": HEAD.format(key="intake", name="方案登记", process_props="",
                                              start_props=START_FORM).encode()})
    engine.deploy({"child.bpmn": HEAD.format(key="child_only", name="子案件", process_props=BY_PARENT,
                                             start_props="").encode()})
    return engine


def _cases(engine) -> int:
    with engine.db.read() as session:
        return session.scalar(select(func.count()).select_from(Case))


def test_the_start_page_draws_the_start_form_and_leaves_out_what_a_parent_starts(models, staff):
    me = staff("zj_staff")
    page = me.get("/start").get_data(as_text=True)
    assert 'href="/start/intake"' in page and "填写并启动" in page
    assert "child_only" not in page
    form = me.get("/start/intake").get_data(as_text=True)
    assert 'name="title"' in form and 'name="budget"' in form and "方案登记" in form
    assert me.get("/start/child_only").status_code == 404
    assert me.get("/start/plan_review").status_code == 404  # no start form: started from the list


def test_a_bad_start_form_comes_back_with_its_errors_and_starts_nothing(models, staff):
    me = staff("zj_staff")
    response = me.post("/start/intake", {"title": "x", "budget": "lots"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "请输入数字" in html or "Enter a number" in html
    assert 'value="x"' in html  # what was typed is kept
    assert _cases(models) == 0


def test_a_good_start_form_starts_the_case_with_its_data(models, staff):
    me = staff("zj_staff")
    response = me.post("/start/intake", {"title": "联动方案", "budget": "900", "business_key": "zj-1"})
    assert response.status_code == 302 and "/tasks/" in response.headers["Location"]
    task_id = response.headers["Location"].rsplit("/", 1)[1]
    done = models.complete_task(task_id, "zj_staff", {})
    assert done.status == "completed"  # the script read title and budget from the start form
    with models.db.read() as session:
        case = session.scalar(select(Case))
    assert case.business_key == "zj-1" and case.facts["summary"] == "联动方案: 900"


def test_posting_a_parent_only_process_to_the_start_page_is_refused(models, staff):
    response = staff("zj_staff").post("/start", {"process_key": "child_only"})
    assert response.status_code == 403
    assert "cannot be started by hand" in response.get_data(as_text=True)
    assert _cases(models) == 0


def _api(app, engine, user):
    token = engine.create_token("system", user)
    client = app.test_client()
    return lambda body: client.post("/api/v1/cases", json=body, headers={"Authorization": f"Bearer {token}"})


def test_the_api_enforces_the_start_rule(app, models):
    post = _api(app, models, "zj_staff")
    refused = post({"process_key": "child_only", "data": {"title": "ab", "budget": 1}})
    assert refused.status_code == 403 and "cannot be started by hand" in refused.get_json()["message"]
    invalid = post({"process_key": "intake", "data": {"title": "ab"}})
    assert invalid.status_code == 422 and "budget" in invalid.get_json()["field_errors"]
    assert _cases(models) == 0
    started = post({"process_key": "intake", "data": {"title": "ab", "budget": 1}})
    assert started.status_code == 201 and len(started.get_json()["tasks"]) == 1


def test_the_cli_enforces_the_start_rule(cli, tmp_path):
    cli("init-db")
    cli("create-org", "ministry")
    cli("create-user", "alice", "--org", "ministry", "--role", "ministry", "--password", "pw-123456")
    for key, props, start in (("intake", "", START_FORM), ("child_only", BY_PARENT, "")):
        path = tmp_path / f"{key}.bpmn"
        path.write_text(HEAD.format(key=key, name=key, process_props=props, start_props=start), "utf-8")
        cli("deploy", path)
    out = cli("start", "child_only", "--data", '{"title": "ab", "budget": 1}', code=1)
    assert "cannot be started by hand: it is started by its parent case" in out
    out = cli("start", "intake", "--user", "alice", "--data", json.dumps({"title": "ab"}), code=1)
    assert "budget: is required" in out
    case_id = cli("start", "intake", "--user", "alice", "--data", json.dumps({"title": "ab", "budget": 2})).strip()
    assert case_id.isdigit()  # the case's id (PostgreSQL's sequence moved on for the refused ones)
    assert "case_started" in cli("export-case", case_id)
