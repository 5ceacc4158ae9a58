"""A one-task process around a real campaign form (forms/), and the case data a campaign's
calendar gives it, for the tests of answers that are not answers."""
import json

from engine.models.forms import FormStore
from tests.conftest import ROOT

FORMS = ROOT / "forms"
CALENDAR = json.loads((ROOT / "processes" / "calendar-2016.json").read_text("utf-8"))


def one_form_model(form: str, key: str = "answers") -> dict[str, bytes]:
    """start -> a province-lane user task with `form` -> end."""
    xml = f'''<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="Defs_{key}" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="{key}" name="答案" isExecutable="true">
    <bpmn:laneSet id="LaneSet_1">
      <bpmn:lane id="Lane_province" name="province"><bpmn:flowNodeRef>Task_Form</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="StartEvent" />
    <bpmn:sequenceFlow id="F1" sourceRef="StartEvent" targetRef="Task_Form" />
    <bpmn:userTask id="Task_Form" name="填写表单">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formJsonSchemaFilename" value="{form}" />
      </spiffworkflow:properties></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="F2" sourceRef="Task_Form" targetRef="EndEvent" />
    <bpmn:endEvent id="EndEvent" />
  </bpmn:process>
</bpmn:definitions>'''
    return {f"{key}.bpmn": xml.encode()}


def campaign_data() -> dict:
    """What the province process hands its plan task: the calendar's dates, budget limit,
    themes and forms, and the province's own cities (`hz` of the demo organisations)."""
    keys = ("dates", "budget_limit", "themes", "activity_forms")
    return {**{k: CALENDAR[k] for k in keys}, "province": "zj",
            "cities": [{"code": "hz", "name": "杭州市", "parent": "zj"}]}


def use_campaign_forms(engine) -> None:
    """The engine reads the product's own forms/ folder, with its sandbox and database."""
    engine.forms = FormStore(FORMS, sandbox=engine.script_engine, db=engine.db)


def activity(**changes) -> dict:
    row = {"name": "长三角图书馆联盟", "host_city": "hz", "form": "alliance",
           "theme": "digitalisation", "partner_cities": ["nj"], "start_date": "2016-06-01",
           "end_date": "2016-06-03", "venue": "杭州图书馆", "budget": 150000, "sponsorship": 0}
    return {**row, **changes}


def plan(**changes) -> dict:
    return {"plan_summary": "浙江省区域文化联动落实方案", "activities": [activity()],
            "host_exchange": False, **changes}
