"""A script error after a task never leaves a case nobody can finish: the case notes the
error, an administrator corrects its data and retries the completion (issue 13, item 2)."""
import pytest
from sqlalchemy import select

from engine import Conflict, ExecutionError, Forbidden, InvalidData, NotFound
from engine.case.audit import verify_cases
from engine.storage import AuditEvent, Case

MODEL = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D" targetNamespace="t">
  <bpmn:process id="grading" isExecutable="true">
    <bpmn:startEvent id="S"/>
    <bpmn:userTask id="Task_Score" name="Score"/>
    <bpmn:scriptTask id="Script_Grade"><bpmn:script>grade = score + activities_held</bpmn:script></bpmn:scriptTask>
    <bpmn:userTask id="Task_Confirm" name="Confirm"/>
    <bpmn:endEvent id="E"/>
    <bpmn:sequenceFlow id="F1" sourceRef="S" targetRef="Task_Score"/>
    <bpmn:sequenceFlow id="F2" sourceRef="Task_Score" targetRef="Script_Grade"/>
    <bpmn:sequenceFlow id="F3" sourceRef="Script_Grade" targetRef="Task_Confirm"/>
    <bpmn:sequenceFlow id="F4" sourceRef="Task_Confirm" targetRef="E"/>
  </bpmn:process>
</bpmn:definitions>"""


@pytest.fixture
def failed(campaign_orgs):
    """A case whose task's completion failed in the script after it."""
    engine = campaign_orgs
    engine.deploy({"grading.bpmn": MODEL})
    started = engine.start_case("grading", "zj_staff")
    with pytest.raises(ExecutionError, match="activities_held"):
        engine.complete_task(started.tasks[0], "zj_staff", {"score": 80})
    return engine, started.case_id, started.tasks[0]


def _case(engine, case_id):
    with engine.db.read() as session:
        return session.get(Case, case_id)


def _events(engine, case_id, kind):
    with engine.db.read() as session:
        return session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id, AuditEvent.kind == kind)
                               .order_by(AuditEvent.seq)).all()


def test_the_failure_is_noted_with_what_was_submitted(failed):
    engine, case_id, task_id = failed
    case = _case(engine, case_id)
    assert "activities_held" in case.last_error and case.last_error_element == "Script_Grade"
    [error] = _events(engine, case_id, "error")
    assert error.task_id == task_id
    assert error.detail["submitted"] == {"score": 80} and error.detail["submitted_by"] == "zj_staff"
    with pytest.raises(ExecutionError):  # submitting again cannot help: the data lacks the name
        engine.complete_task(task_id, "zj_staff", {"score": 80})
    assert [t.id for t in engine.tasks("zj_staff")] == [task_id]


def test_an_admin_edits_the_data_and_retries(failed):
    engine, case_id, task_id = failed
    assert engine.case_data(case_id, "admin") == {}
    changes = engine.edit_case_data(case_id, "admin", {"activities_held": 2}, "省里补报了举办活动数")
    assert changes == {"activities_held": [None, 2]}
    assert engine.case_data(case_id, "admin") == {"activities_held": 2}
    assert _case(engine, case_id).last_error  # still to be retried
    [edit] = _events(engine, case_id, "case_data_edited")
    assert edit.actor == "admin" and edit.detail["reason"] == "省里补报了举办活动数"
    assert edit.detail["changes"] == {"activities_held": [None, 2]}

    done = engine.retry_case(case_id, "admin", "数据已更正")
    assert done.status == "running" and len(done.tasks) == 1
    case = _case(engine, case_id)
    assert case.last_error is None and case.facts["grade"] == 82
    [completed] = _events(engine, case_id, "task_completed")
    assert completed.task_id == task_id and completed.actor == "admin"
    assert completed.detail["retried"] is True and completed.detail["submitted_by"] == "zj_staff"
    assert completed.detail["submitted"] == {"score": 80} and completed.detail["reason"] == "数据已更正"
    with pytest.raises(Conflict, match="no failed task completion"):
        engine.retry_case(case_id, "admin", "again")
    with engine.db.read() as session:
        assert verify_cases(session)[1] == []  # the history chain is whole


def test_the_person_may_also_submit_again_once_the_data_is_right(failed):
    engine, case_id, task_id = failed
    engine.edit_case_data(case_id, "admin", {"activities_held": 1}, "补报")
    assert engine.complete_task(task_id, "zj_staff", {"score": 70}).tasks
    assert _case(engine, case_id).facts["grade"] == 71


@pytest.mark.parametrize("user, error", [("zj_staff", Forbidden), ("ministry_officer", Forbidden),
                                         ("auditor", Forbidden), ("js_staff", NotFound)])
def test_only_an_administrator_repairs(failed, user, error):
    engine, case_id, _ = failed
    with pytest.raises(error):
        engine.edit_case_data(case_id, user, {"activities_held": 2}, "reason")
    with pytest.raises(error):
        engine.retry_case(case_id, user, "reason")
    assert _events(engine, case_id, "case_data_edited") == []


@pytest.mark.parametrize("changes, reason, remove, field", [
    ({"activities_held": 1}, "   ", (), "reason"),
    ({"activities_held": 1}, "x" * 1001, (), "reason"),
    ({"1bad": 1}, "r", (), "name"),
    ({"_private": 1}, "r", (), "name"),
    ({}, "r", ("class",), "name"),
])
def test_bad_edits_are_refused_and_change_nothing(failed, changes, reason, remove, field):
    engine, case_id, _ = failed
    with pytest.raises(InvalidData) as refused:
        engine.edit_case_data(case_id, "admin", changes, reason, remove)
    assert field in refused.value.field_errors
    assert engine.case_data(case_id, "admin") == {}
    with pytest.raises(InvalidData):
        engine.edit_case_data(case_id, "admin", {}, "nothing")


def test_a_removed_variable_and_a_finished_case(failed):
    engine, case_id, _ = failed
    engine.edit_case_data(case_id, "admin", {"activities_held": 1, "extra": [1, 2]}, "补报")
    assert engine.edit_case_data(case_id, "admin", {}, "多余", remove=["extra"]) == {"extra": [[1, 2], None]}
    engine.terminate_case(case_id, "admin", "放弃")
    with pytest.raises(Conflict, match="terminated"):
        engine.edit_case_data(case_id, "admin", {"x": 1}, "late")
    with pytest.raises(Conflict):
        engine.retry_case(case_id, "admin", "late")
