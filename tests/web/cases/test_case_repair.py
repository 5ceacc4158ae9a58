"""The case page of a case a script error stopped: everyone who sees it sees the error; an
administrator corrects its data, retries the failed step or terminates it (issue 13)."""
import pytest
from sqlalchemy import select

from engine import ExecutionError
from engine.storage import AuditEvent, Case

from tests.engine.commands.test_repair import MODEL


@pytest.fixture
def stopped(app):
    engine = app.extensions["liandong"]
    engine.deploy({"grading.bpmn": MODEL})
    started = engine.start_case("grading", "zj_staff")
    with pytest.raises(ExecutionError):
        engine.complete_task(started.tasks[0], "zj_staff", {"score": 80})
    return engine, started.case_id, started.tasks[0]


def _case(engine, case_id):
    with engine.db.read() as session:
        return session.get(Case, case_id)


def test_the_person_sees_the_error_but_no_repair(stopped, staff):
    engine, case_id, task_id = stopped
    me = staff("zj_staff")
    html = me.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "最近错误" in html and "activities_held" in html and "Script_Grade" in html
    assert 'id="repair"' not in html
    response = me.post(f"/cases/{case_id}/data", {"name": "activities_held", "value": "2", "reason": "r"},
                       follow_redirects=True)
    assert "administrator" in response.get_data(as_text=True)
    assert engine.case_data(case_id, "admin") == {}
    # submitting the form again fails again, and says why, keeping what was typed
    again = me.post(f"/tasks/{task_id}", {"score": "80"})
    assert "activities_held" in again.get_data(as_text=True)


def test_an_admin_corrects_the_data_and_retries(stopped, staff):
    engine, case_id, _task_id = stopped
    admin = staff("admin")
    html = admin.get(f"/cases/{case_id}").get_data(as_text=True)
    assert 'id="repair"' in html and "重试失败的步骤" in html and "zj_staff" in html
    page = admin.post(f"/cases/{case_id}/data", {"name": "activities_held", "value": "2", "reason": ""},
                      follow_redirects=True).get_data(as_text=True)
    assert "请说明理由" in page and engine.case_data(case_id, "admin") == {}
    page = admin.post(f"/cases/{case_id}/data", {"name": "activities_held", "value": "2", "reason": "省里补报"},
                      follow_redirects=True).get_data(as_text=True)
    assert "案卷数据已更改" in page and "案卷数据已更正" in page  # the flash, and the timeline entry
    assert engine.case_data(case_id, "admin") == {"activities_held": 2}
    admin.post(f"/cases/{case_id}/data", {"name": "note", "value": "补报 3 项", "reason": "备注"})
    assert engine.case_data(case_id, "admin")["note"] == "补报 3 项"  # not JSON: kept as text
    page = admin.post(f"/cases/{case_id}/retry", {"reason": "数据已更正"}, follow_redirects=True).get_data(as_text=True)
    assert "任务已重新完成" in page
    case = _case(engine, case_id)
    assert case.last_error is None and case.facts["grade"] == 82
    assert [t.element_id for t in engine.tasks("zj_staff")] == ["Task_Confirm"]


def test_an_admin_removes_a_variable_and_terminates(stopped, staff):
    engine, case_id, _task_id = stopped
    admin = staff("admin")
    admin.post(f"/cases/{case_id}/data", {"name": "extra", "value": "[1, 2]", "reason": "试"})
    assert engine.case_data(case_id, "admin") == {"extra": [1, 2]}
    admin.post(f"/cases/{case_id}/data", {"name": "extra", "remove": "1", "reason": "多余"})
    assert engine.case_data(case_id, "admin") == {}
    bad = admin.post(f"/cases/{case_id}/data", {"name": "1x", "value": "1", "reason": "r"}, follow_redirects=True)
    assert "Not a variable name" in bad.get_data(as_text=True)
    admin.post(f"/cases/{case_id}/terminate", {"reason": "无法补报，终止"})
    assert _case(engine, case_id).status == "terminated"
    with engine.db.read() as session:
        kinds = [e.kind for e in session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id)
                                                 .order_by(AuditEvent.seq))]
    assert kinds[-3:] == ["case_data_edited", "case_data_edited", "case_terminated"]
    assert 'id="repair"' not in admin.get(f"/cases/{case_id}").get_data(as_text=True)


def test_an_auditor_reads_but_cannot_repair(stopped, staff):
    engine, case_id, _task_id = stopped
    auditor = staff("auditor")
    assert 'id="repair"' not in auditor.get(f"/cases/{case_id}").get_data(as_text=True)
    assert auditor.post(f"/cases/{case_id}/retry", {"reason": "r"}).status_code == 403
    assert _case(engine, case_id).last_error
