"""A failing script leaves the case exactly as it was and notes the error on the case."""
import threading

import pytest
from sqlalchemy import select
from sqlalchemy.orm import undefer

from engine import ExecutionError
from engine.case.audit import verify_chain
from engine.case.failures import record_failure
from engine.models.deploy import deploy as deploy_files
from engine.storage import AuditEvent, Case
from tests.conftest import bpmn, hold_after_load, interleave

TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  id="Definitions_attack" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="attack" isExecutable="true">
    <bpmn:startEvent id="StartEvent" />
    <bpmn:sequenceFlow id="F1" sourceRef="StartEvent" targetRef="Enter" />
    <bpmn:userTask id="Enter" name="Enter" />
    <bpmn:sequenceFlow id="F2" sourceRef="Enter" targetRef="Attack" />
    <bpmn:scriptTask id="Attack" name="Attack"><bpmn:script>{script}</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="F3" sourceRef="Attack" targetRef="EndEvent" />
    <bpmn:endEvent id="EndEvent" />
  </bpmn:process>
</bpmn:definitions>"""

ATTACKS = {
    "import": "import os\nos.system('true')",
    "dunder-import": "__import__('os').system('true')",
    "subclasses": "x = ().__class__.__bases__[0].__subclasses__()",
    "open": "data = open('/etc/passwd').read()",
    "globals": "g = (lambda: 0).__globals__",
    "getattr": "g = getattr(total, '__class__')",
    "endless": "while True:\n    pass",
    "huge": "x = 'a' * 10**10",
    "name-error": "result = missing * 2",
}


def _case(engine, case_id):
    with engine.db.transaction() as s:
        case = s.get(Case, case_id, options=[undefer(Case.state)])
        events = s.scalars(select(AuditEvent.kind).where(AuditEvent.case_id == case_id)).all()
        return case, events


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_script_attack_fails_clearly_and_case_is_unchanged(campaign_orgs, attack):
    engine = campaign_orgs
    script = ATTACKS[attack].replace("<", "&lt;")
    with engine.db.transaction() as s:  # straight to storage: the deploy-time lint would refuse some
        deploy_files(s, {"attack.bpmn": TEMPLATE.format(script=script).encode()},
                     engine.system_actor)
    started = engine.start_case("attack", "zj_staff")
    before, _ = _case(engine, started.case_id)
    with pytest.raises(ExecutionError) as err:
        engine.complete_task(started.tasks[0], "zj_staff", {"total": 2})
    assert err.value.element_id == "Attack"
    assert "Attack" in str(err.value) and "left as it was" in str(err.value)
    after, events = _case(engine, started.case_id)
    assert after.state == before.state and after.status == "running"
    assert [t.id for t in engine.tasks("zj_staff")] == list(started.tasks)
    assert after.last_error_element == "Attack" and after.last_error
    assert events == ["case_started", "error"]


def test_error_is_cleared_by_the_next_successful_command(campaign_orgs):
    engine = campaign_orgs
    engine.deploy(bpmn("script_task.bpmn"))
    started = engine.start_case("script_task", "zj_staff")
    with pytest.raises(ExecutionError, match="missing|total"):
        engine.complete_task(started.tasks[0], "zj_staff", {})
    done = engine.complete_task(started.tasks[0], "zj_staff", {"total": 21})
    case, _ = _case(engine, started.case_id)
    assert case.last_error is None and case.facts["result"] == 42 and len(done.tasks) == 1


def test_an_error_note_waits_for_a_command_holding_the_case(campaign_orgs):
    """The note after a failed command goes into the chain after the events of a command
    that held the case meanwhile, instead of colliding with them."""
    engine = campaign_orgs
    engine.deploy(bpmn("plan_review.bpmn"))
    started = engine.start_case("plan_review", "zj_staff")
    loaded, release = hold_after_load(engine, "completer")
    completer = threading.Thread(name="completer", target=engine.complete_task,
                                 args=(started.tasks[0], "zj_staff", {"title": "原方案", "budget": 9}))
    noter = threading.Thread(target=record_failure,
                             args=(engine, started.case_id, "Review", "The process failed."))
    interleave(loaded, release, completer, noter, "the note must wait for the case's lock")
    case, events = _case(engine, started.case_id)
    assert events[-2:] == ["task_completed", "error"]
    assert case.last_error == "The process failed." and case.last_error_element == "Review"
    with engine.db.transaction() as s:
        assert verify_chain(s, case) == []
