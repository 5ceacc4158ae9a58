"""Uploads: type by content, size limit, content-addressed store, audit event, and downloads
only for those who may see the case."""
import hashlib
import io
import re

import pytest
from sqlalchemy import select

from engine import Forbidden, InvalidData
from engine.commands import attachments
from engine.storage import Attachment, AuditEvent
from tests.web.conftest import open_task

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%test programme sheet\n"


def fetch(client, url):
    """GET a download and close it (a streamed file holds its file handle until closed)."""
    response = client.get(url)
    response.get_data()
    response.close()
    return response


def _summary_task(app, staff):
    """The activity's summary task (its form has an `x-liandong-file` field)."""
    engine = app.extensions["liandong"]
    case_id, plan = open_task(engine, "zj_staff")
    done = engine.complete_task(plan, "zj_staff", {"title": "展览", "form": "exhibition",
                                                   "budget": 1, "start_date": "2016-05-01"})
    return engine, case_id, done.tasks[0], staff("zj_staff")


def test_upload_through_the_form_is_stored_and_audited(app, staff):
    engine, case_id, task_id, me = _summary_task(app, staff)
    response = me.post(f"/tasks/{task_id}", {"summary": "", "photos": (io.BytesIO(PNG), "现场.png")},
                       content_type="multipart/form-data")
    assert response.status_code == 422  # the summary is missing ...
    page = response.get_data(as_text=True)
    kept = re.search(r'name="photos" value="(kept:[^"]+)"', page)
    assert "现场.png" in page and kept  # ... but the file is kept, for the next try
    digest = hashlib.sha256(PNG).hexdigest()
    stored = engine.settings.instance_path / "uploads" / digest[:2] / digest[2:]
    assert stored.read_bytes() == PNG
    with engine.db.read() as s:  # ... and attached only by the completion itself
        assert s.scalars(select(AuditEvent).where(AuditEvent.kind == "file_attached")).all() == []
        assert s.scalars(select(Attachment)).all() == []
    response = me.post(f"/tasks/{task_id}", {"summary": "圆满完成，观众三千人", "photos": kept.group(1)})
    assert response.status_code == 302
    with engine.db.read() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.kind == "file_attached")).one()
        assert event.case_id == case_id and event.detail["sha256"] == digest
        assert event.detail["content_type"] == "image/png" and event.actor == "zj_staff"
        completed = s.scalars(select(AuditEvent).where(AuditEvent.kind == "task_completed",
                                                       AuditEvent.task_id == task_id)).one()
        assert completed.detail["submitted"]["photos"] == f"file:{event.detail['file_id']}"
    download = fetch(me, f"/files/{event.detail['file_id']}")
    assert download.status_code == 200 and download.data == PNG
    assert download.headers["Content-Type"] == "image/png"


def test_a_kept_reference_cannot_be_forged_or_borrowed(app, staff):
    """The kept reference names a stored file: only the person who uploaded it may use it."""
    engine, case_id, task_id, me = _summary_task(app, staff)
    page = me.post(f"/tasks/{task_id}", {"summary": "", "photos": (io.BytesIO(PNG), "现场.png")},
                   content_type="multipart/form-data").get_data(as_text=True)
    kept = re.search(r'name="photos" value="(kept:[^"]+)"', page).group(1)
    forged = "kept:" + kept[5:-3] + "AAA"
    response = me.post(f"/tasks/{task_id}", {"summary": "圆满完成，观众三千人", "photos": forged})
    assert response.status_code == 422 and "重新选择" in response.get_data(as_text=True)
    other = staff("zj_staff2")  # same province, may work on the task, did not upload the file
    response = other.post(f"/tasks/{task_id}", {"summary": "圆满完成，观众三千人", "photos": kept})
    assert response.status_code == 422
    with engine.db.read() as s:
        assert s.scalars(select(Attachment)).all() == []
    assert engine.tasks("zj_staff")[0].id == task_id  # not completed


def test_a_renamed_executable_is_refused(app, staff):
    engine, case_id, task_id, me = _summary_task(app, staff)
    response = me.post(f"/tasks/{task_id}", {"summary": "总结总结总结", "photos": (io.BytesIO(b"MZ\x90\x00rest"), "photo.png")},
                       content_type="multipart/form-data")
    assert response.status_code == 422
    assert "photo.png" in response.get_data(as_text=True)
    assert engine.tasks("zj_staff")[0].id == task_id  # not completed


def test_other_province_and_anonymous_cannot_download(app, staff):
    engine, case_id, task_id, me = _summary_task(app, staff)
    stored = attachments.attach(engine, engine.actor("zj_staff"), case_id, "plan.pdf", PDF, task_id)
    assert fetch(me, f"/files/{stored.id}").status_code == 200
    assert fetch(staff("js_staff"), f"/files/{stored.id}").status_code == 404
    assert fetch(staff("auditor"), f"/files/{stored.id}").status_code == 200
    assert app.test_client().get(f"/files/{stored.id}").status_code == 302
    assert me.get("/files/999").status_code == 404
    page = me.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "plan.pdf" in page and f"/files/{stored.id}" in page


def test_limits_in_the_engine(app):
    engine = app.extensions["liandong"]
    case_id, task_id = open_task(engine, "zj_staff")
    actor = engine.actor("zj_staff")
    small = engine.settings.with_(upload_max_bytes=100)
    engine.settings, original = small, engine.settings
    try:
        with pytest.raises(InvalidData, match="limit"):
            attachments.attach(engine, actor, case_id, "big.pdf", PDF + b"x" * 200)
    finally:
        engine.settings = original
    with pytest.raises(InvalidData, match="empty"):
        attachments.attach(engine, actor, case_id, "empty.pdf", b"")
    with pytest.raises(InvalidData, match="not an allowed type"):
        attachments.attach(engine, actor, case_id, "page.html", b"<html><script>")
    with pytest.raises(Forbidden):
        attachments.attach(engine, engine.actor("auditor"), case_id, "a.pdf", PDF)
    from engine import NotFound
    with pytest.raises(NotFound):
        attachments.attach(engine, engine.actor("js_staff"), case_id, "a.pdf", PDF)
    # the same bytes twice: two records, one stored file
    one = attachments.attach(engine, actor, case_id, "a.pdf", PDF)
    two = attachments.attach(engine, actor, case_id, "b.pdf", PDF)
    assert one.sha256 == two.sha256 and one.id != two.id
    assert len(list((engine.settings.instance_path / "uploads").rglob("*"))) == 2  # dir + file


@pytest.mark.parametrize("head,name,kind", [
    (b"%PDF-1.7", "x.pdf", "application/pdf"), (b"\xff\xd8\xff\xe0", "x.jpg", "image/jpeg"),
    (b"GIF89a..", "x.gif", "image/gif"), (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "x.webp", "image/webp"),
    (b"\x00\x00\x00\x18ftypmp42", "x.mp4", "video/mp4"), (b"\x1a\x45\xdf\xa3", "x.webm", "video/webm"),
    (b"PK\x03\x04", "x.docx", attachments.OOXML[".docx"]), (b"PK\x03\x04", "x.zip", None),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "x.xls", "application/vnd.ms-excel"),
    (b"MZ\x90\x00", "x.pdf", None), (b"#!/bin/sh", "x.png", None)])
def test_sniffing(head, name, kind):
    assert attachments.sniff(head, name) == kind
