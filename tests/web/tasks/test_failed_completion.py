"""A completion that fails leaves nothing behind: the upload, the completion and the draft
change are one transaction (Engine.complete_task with uploads), on both databases."""
import io

import pytest
from sqlalchemy import select

from engine import ExecutionError
from engine.commands import drafts
from engine.storage import Attachment, AuditEvent, Draft
from tests.conftest import bpmn

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def summary_task(app):
    """A summary task (its form uploads `photos`) followed by a script that divides by the
    number of participants: 0 makes the completion fail after the task ran."""
    engine = app.extensions["liandong"]
    engine.deploy(bpmn("summary_then_fail.bpmn"))
    started = engine.start_case("summary_then_fail", "zj_staff", {})
    return engine, started.case_id, started.tasks[0]


def _left_behind(engine, case_id):
    with engine.db.read() as s:
        files = s.scalars(select(Attachment).where(Attachment.case_id == case_id)).all()
        kinds = s.scalars(select(AuditEvent.kind).where(AuditEvent.case_id == case_id)).all()
        drafts_left = {d.username: d.data for d in s.scalars(select(Draft))}
    return files, kinds, drafts_left


def test_a_failed_completion_through_the_page_leaves_no_file_event_or_draft_change(app, staff, summary_task):
    engine, case_id, task_id = summary_task
    me = staff("zj_staff")
    assert me.post(f"/tasks/{task_id}", {"summary": "草稿：还没写完", "save_draft": "1"}).status_code == 302
    response = me.post(f"/tasks/{task_id}", {"summary": "活动圆满完成", "participants": "0",
                                             "photos": (io.BytesIO(PNG), "现场.png")},
                       content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Script_PerPerson" in page and "division by zero" in page  # the engine's error ...
    assert "活动圆满完成" in page and "现场.png" in page  # ... on the form as it was sent
    files, kinds, drafts_left = _left_behind(engine, case_id)
    assert files == []
    assert "file_attached" not in kinds and "task_completed" not in kinds
    assert kinds == ["case_started", "error"]  # the failure is noted on the case, nothing else
    assert drafts_left == {"zj_staff": {"summary": "草稿：还没写完"}}
    assert engine.tasks("zj_staff", case_id=case_id)[0].id == task_id  # still open


def test_the_same_completion_succeeds_and_takes_file_and_drafts_with_it(app, staff, summary_task):
    engine, case_id, task_id = summary_task
    me = staff("zj_staff")
    me.post(f"/tasks/{task_id}", {"summary": "草稿", "save_draft": "1"})
    response = me.post(f"/tasks/{task_id}", {"summary": "活动圆满完成", "participants": "50",
                                             "photos": (io.BytesIO(PNG), "现场.png")},
                       content_type="multipart/form-data")
    assert response.status_code == 302
    files, kinds, drafts_left = _left_behind(engine, case_id)
    assert [f.original_name for f in files] == ["现场.png"] and files[0].task_id == task_id
    assert kinds[-3:] == ["file_attached", "task_completed", "case_completed"]
    assert drafts_left == {}


def test_engine_complete_task_with_uploads_is_all_or_nothing(app, summary_task):
    engine, case_id, task_id = summary_task
    with engine.db.transaction() as s:
        drafts.save_draft(s, "zj_staff", task_id, {"summary": "草稿"}, engine.now())
    staged = engine.stage_upload("现场.png", PNG)
    from engine.commands.attachments import Upload
    with pytest.raises(ExecutionError, match="Script_PerPerson"):
        engine.complete_task(task_id, "zj_staff", {"summary": "活动圆满完成", "participants": 0},
                             uploads=[Upload("photos", staged)])
    files, kinds, drafts_left = _left_behind(engine, case_id)
    assert files == [] and "file_attached" not in kinds and "task_completed" not in kinds
    assert drafts_left == {"zj_staff": {"summary": "草稿"}}
    done = engine.complete_task(task_id, "zj_staff", {"summary": "活动圆满完成", "participants": 4},
                                uploads=[Upload("photos", staged)])
    assert done.status == "completed"
    files, kinds, drafts_left = _left_behind(engine, case_id)
    assert len(files) == 1 and drafts_left == {}
