"""The engine says who may work on a task (may_work) and keeps drafts (save_draft): the task
page asks it rather than re-deriving its rules."""
import pytest
from sqlalchemy import select

from engine import Conflict, Forbidden, InvalidData, NotFound
from engine.storage import Draft
from tests.web.conftest import open_task


def test_may_work_gives_the_engines_reason(app):
    engine = app.extensions["liandong"]
    case_id, task_id = open_task(engine, "zj_staff")
    assert engine.may_work(task_id, "zj_staff") is None
    assert engine.may_work(task_id, "auditor").reason == "lane"
    assert isinstance(engine.may_work(task_id, "auditor").error, Forbidden)
    assert isinstance(engine.may_work(task_id, "js_staff").error, NotFound)  # not visible
    assert isinstance(engine.may_work("no-such-task", "zj_staff").error, NotFound)
    engine.claim_task(task_id, "zj_staff2")
    refused = engine.may_work(task_id, "zj_staff")
    assert refused.reason == "claimed" and "zj_staff2" in str(refused.error)
    engine.unclaim_task(task_id, "zj_staff2")
    engine.suspend_case(case_id, "admin", "pause")
    assert engine.may_work(task_id, "zj_staff").reason == "case"
    engine.resume_case(case_id, "admin", "go on")
    engine.complete_task(task_id, "zj_staff", {"title": "展览", "form": "exhibition", "budget": 1,
                                               "start_date": "2016-05-01"})
    refused = engine.may_work(task_id, "zj_staff")
    assert refused.reason == "closed" and isinstance(refused.error, Conflict)


def test_the_page_refuses_as_the_engine_does(app, staff):
    engine = app.extensions["liandong"]
    case_id, task_id = open_task(engine, "zj_staff")
    engine.claim_task(task_id, "zj_staff2")
    response = staff("zj_staff").post(f"/tasks/{task_id}", {"title": "x", "save_draft": "1"})
    assert response.status_code == 409 and "zj_staff2" in response.get_data(as_text=True)
    with engine.db.read() as s:
        assert s.scalars(select(Draft)).all() == []


def test_save_draft_is_a_command_with_the_same_rules(app):
    engine = app.extensions["liandong"]
    case_id, task_id = open_task(engine, "zj_staff")
    engine.save_draft(task_id, "zj_staff", {"title": "草稿"})
    engine.save_draft(task_id, "zj_staff", {"title": "草稿二"})
    with pytest.raises(NotFound):
        engine.save_draft(task_id, "js_staff", {"title": "别人的"})
    with pytest.raises(Forbidden):
        engine.save_draft(task_id, "auditor", {"title": "审计"})
    with pytest.raises(NotFound):
        engine.save_draft("no-such-task", "zj_staff", {})
    with pytest.raises(InvalidData):
        engine.save_draft(task_id, "zj_staff", ["not", "an", "object"])
    with engine.db.read() as s:
        assert [(d.username, d.data) for d in s.scalars(select(Draft))] == [("zj_staff", {"title": "草稿二"})]
