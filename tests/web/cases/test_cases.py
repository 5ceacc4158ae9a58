"""The cases area: search, the case page with its diagram data, exports, dashboard, heatmap;
scoped to what the reader may see, in the reader's time zone, read-only for auditors."""
import csv
import io
import json
import re

import pytest

from engine.storage import User
from tests.conftest import bpmn
from tests.web.conftest import Staff
from web import create_app


@pytest.fixture
def reviewed(app):
    engine = app.extensions["liandong"]
    started = engine.start_case("plan_review", "zj_staff", {"province": "zj", "stage": "planning"})
    done = engine.complete_task(started.tasks[0], "zj_staff", {"title": "联动方案", "budget": 900})
    child = engine.start_case("plan_review", "hz_staff", {}, organisation="hz", parent_case_id=started.case_id)
    return engine, started.case_id, done.tasks, child.case_id


def _diagram_data(page: str) -> dict:
    match = re.search(r'<script type="application/json" id="diagram-data">(.*?)</script>', page, re.DOTALL)
    return json.loads(match.group(1))


def test_case_page_shows_timeline_diff_and_path(app, staff, reviewed):
    _engine, case_id, _open, child_id = reviewed
    page = staff("auditor").get(f"/cases/{case_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "浙江省文化厅" in html and "zj_staff" in html
    assert "时间线" in html and "任务完成" in html  # Chinese first
    assert "<ins>联动方案</ins>" in html and "<ins>900</ins>" in html
    data = _diagram_data(html)
    assert {"StartEvent", "Task_Plan", "Split"} <= set(data["completed"])
    assert sorted(data["active"]) == ["Task_ReviewA", "Task_ReviewB"]
    assert data["xml_url"] == f"/cases/{case_id}/diagram.bpmn"
    assert f'href="/cases/{child_id}"' in html
    assert "bpmn-navigated-viewer.production.min.js" in html
    child = staff("auditor").get(f"/cases/{child_id}").get_data(as_text=True)
    assert f'href="/cases/{case_id}"' in child


def test_uploaded_files_show_their_sha256(app, staff, reviewed):
    import hashlib

    from engine.commands.attachments import attach
    engine, case_id, _open, _child = reviewed
    content = b"%PDF-1.4\n% programme sheet\n"
    attached = attach(engine, engine.actor("zj_staff"), case_id, "节目单.pdf", content)
    html = staff("auditor").get(f"/cases/{case_id}").get_data(as_text=True)
    assert f"SHA-256 {hashlib.sha256(content).hexdigest()}" in html
    assert f'href="/files/{attached.id}"' in html and "上传文件" in html


def test_timer_fired_is_shown_with_its_due_time(app, staff):
    from datetime import timedelta
    engine = app.extensions["liandong"]
    engine.deploy(bpmn("deadline.bpmn"))
    case_id = engine.start_case("deadline", "zj_staff", {"plan_deadline": "2016-04-20T18:00:00+08:00"}).case_id
    engine.clock.advance(timedelta(days=30))
    engine.fire_due_timers()
    html = staff("auditor").get(f"/cases/{case_id}").get_data(as_text=True)
    assert "定时器触发" in html and "截止 2016-04-20 18:00:00" in html  # Asia/Shanghai, as it was set
    assert '"Escalate"' in html  # the escalation task is open on the diagram data


def test_diagram_xml_and_vendor_files_are_served(app, staff, reviewed):
    _engine, case_id, _open, _child = reviewed
    auditor = staff("auditor")
    xml = auditor.get(f"/cases/{case_id}/diagram.bpmn")
    assert xml.status_code == 200 and b'id="Task_Plan"' in xml.data
    viewer = auditor.get("/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js")
    viewer.close()
    assert viewer.status_code == 200


def test_times_are_shown_in_the_readers_time_zone(app, staff, reviewed):
    engine, case_id, _open, _child = reviewed
    shanghai = staff("auditor").get(f"/cases/{case_id}").get_data(as_text=True)
    assert "2016-04-01 09:00:00" in shanghai  # 01:00 UTC
    with engine.db.transaction() as s:
        s.query(User).filter_by(username="admin").one().timezone = "Europe/London"
    london = staff("admin").get(f"/cases/{case_id}").get_data(as_text=True)
    assert "2016-04-01 02:00:00" in london and "2016-04-01 09:00:00" not in london


def test_staff_see_only_cases_they_may_see(app, staff, reviewed):
    _engine, case_id, _open, child_id = reviewed
    js = staff("js_staff")
    assert js.get(f"/cases/{case_id}").status_code == 404
    assert js.get(f"/cases/{case_id}/history.json").status_code == 404
    assert js.get(f"/cases/{case_id}/diagram.bpmn").status_code == 404
    assert f"/cases/{case_id}\"" not in js.get("/cases/").get_data(as_text=True)
    hz = staff("hz_staff")
    assert hz.get(f"/cases/{child_id}").status_code == 200
    assert hz.get(f"/cases/{case_id}").status_code == 404
    listing = staff("zj_staff").get("/cases/").get_data(as_text=True)
    assert f'href="/cases/{case_id}"' in listing and f'href="/cases/{child_id}"' in listing


def test_search_filters_and_paginates(app, staff, reviewed):
    engine, case_id, _open, child_id = reviewed
    auditor = staff("auditor")
    page = auditor.get("/cases/?organisation=hz").get_data(as_text=True)
    assert f'href="/cases/{child_id}"' in page and f'href="/cases/{case_id}"' not in page
    page = auditor.get("/cases/?stage=planning").get_data(as_text=True)
    assert f'href="/cases/{case_id}"' in page and f'href="/cases/{child_id}"' not in page
    bad = auditor.get("/cases/?started_from=yesterday")
    assert bad.status_code == 422 and "YYYY-MM-DD" in bad.get_data(as_text=True)
    for _ in range(30):
        engine.start_case("plan_review", "zj_staff", {})
    first = auditor.get("/cases/").get_data(as_text=True)
    assert "page=2" in first
    second = auditor.get("/cases/?page=2").get_data(as_text=True)
    assert f'href="/cases/{case_id}"' in second


def test_exports(app, staff, reviewed):
    _engine, case_id, _open, child_id = reviewed
    auditor = staff("auditor")
    doc = auditor.get(f"/cases/{case_id}/history.json")
    assert doc.headers["Content-Disposition"].endswith(f"case-{case_id}.json")
    body = json.loads(doc.data)
    assert [e["kind"] for e in body["events"]] == ["case_started", "task_completed"]
    assert body["children"] == [child_id]
    rows = list(csv.DictReader(io.StringIO(auditor.get(f"/cases/{case_id}/history.csv").get_data(as_text=True))))
    assert rows[1]["element_id"] == "Task_Plan" and "Budget: " in rows[1]["changes"]  # the form's label
    assert rows[1]["kind"] == "任务完成"  # an event by its name, in the reader's language
    listing = list(csv.DictReader(io.StringIO(auditor.get("/cases/export.csv?organisation=zj").get_data(as_text=True))))
    assert {int(r["id"]) for r in listing} == {case_id, child_id}
    report = auditor.get(f"/cases/{case_id}/report").get_data(as_text=True)
    assert "data-print" in report and "cases.css" in report and "Task_Plan" in report


@pytest.fixture
def campaign_app(campaign_orgs, tmp_path):
    engine = campaign_orgs
    for key in ("campaign", "province_plan", "activity"):
        engine.deploy(bpmn("plan_review.bpmn"), key=key)
    definition = tmp_path / "dashboard.json"
    definition.write_text(json.dumps({
        "campaign_process": "campaign", "row_process": "province_plan", "activity_process": "activity",
        "stages": [{"id": "planning", "zh_CN": "制定方案", "en": "Planning"},
                   {"id": "implementation", "zh_CN": "组织实施", "en": "Implementation"}],
        "columns": [{"id": "grade", "fact": "grade", "zh_CN": "评估", "en": "Grade"}],
        "activity_groups": ["form"]}), encoding="utf-8")
    engine.settings = engine.settings.with_(extra={"dashboard_definition": str(definition)})
    top = engine.start_case("campaign", "ministry_officer", {}).case_id
    zj = engine.start_case("province_plan", "zj_staff", {"stage": "planning"}, parent_case_id=top)
    engine.complete_task(zj.tasks[0], "zj_staff", {"title": "方案", "budget": 1, "stage": "implementation",
                                                   "grade": "优秀"})
    engine.start_case("province_plan", "js_staff", {"stage": "planning"}, parent_case_id=top)
    for form in ("讲座", "展览", "讲座"):
        engine.start_case("activity", "hz_staff", {"form": form}, organisation="hz", parent_case_id=zj.case_id)
    return create_app({"TESTING": True}, engine=engine)


def test_dashboard_draws_charts_and_gives_csv(campaign_app):
    ministry = Staff(campaign_app, "ministry_officer")
    page = ministry.get("/cases/dashboard").get_data(as_text=True)
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart') == 2 and "stage-timeline" in page
    assert 'data-stage="implementation"' in page and "浙江省文化厅" in page and "优秀" in page
    lines = ministry.get("/cases/dashboard.csv").get_data(as_text=True).splitlines()
    assert len(lines) == 3 and "form:讲座" in lines[0]
    zj_line = next(line for line in lines if line.startswith("zj,"))
    assert zj_line.endswith(",3,2,1")  # 3 activities: 讲座 2, 展览 1


def test_heatmap_page(campaign_app):
    auditor = Staff(campaign_app, "auditor")
    engine = campaign_app.extensions["liandong"]
    with engine.db.read() as s:
        from engine.storage import ProcessModel, ProcessVersion
        version = s.query(ProcessVersion).join(ProcessModel).filter(ProcessModel.key == "province_plan").one()
    page = auditor.get(f"/cases/heatmap/{version.id}").get_data(as_text=True)
    data = _diagram_data(page)
    assert data["counts"]["StartEvent"] == 2 and data["counts"]["Task_Plan"] == 1
    assert "Task_Plan" in data["median"]
    assert auditor.get("/cases/heatmap/9999").status_code == 404


def test_auditors_are_refused_every_write(app, staff, reviewed):
    _engine, case_id, open_tasks, _child = reviewed
    auditor = staff("auditor")
    for url in ("/cases/", f"/cases/{case_id}", f"/cases/{case_id}/report", "/cases/dashboard",
                f"/cases/{case_id}/history.json", "/start", f"/tasks/{open_tasks[0]}/claim",
                f"/tasks/{open_tasks[0]}"):
        assert auditor.post(url, {"ok": "1"}).status_code == 403, url
    assert auditor.get("/cases/").status_code == 200
