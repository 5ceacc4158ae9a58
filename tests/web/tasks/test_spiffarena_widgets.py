"""SpiffArena's form widgets, drawn server-side and submitted: a start form and a task form
of a model in SpiffArena's layout (forms beside the BPMN)."""
import re

import pytest

from engine.models.forms import FormStore
from engine.storage import Case

from tests.conftest import DATA
from tests.web.conftest import Staff
from web import create_app

MODEL = DATA / "spiffarena" / "campaign" / "activity-registration"
KEY = "Process_activity_registration"


def deploy_registration(engine):
    """Deploy the model with its forms read from its own folder."""
    engine.forms = FormStore(MODEL, sandbox=engine.script_engine, db=engine.db)
    engine.deploy({p.name: p.read_bytes() for p in MODEL.glob("*.bpmn")})


@pytest.fixture
def arena_app(campaign_orgs):
    deploy_registration(campaign_orgs)
    return create_app({"TESTING": True}, engine=campaign_orgs)


def _tag(page, name):
    """The first tag carrying name="<name>"."""
    match = re.search(r'<(input|select|textarea)[^>]*name="%s"[^>]*>' % re.escape(name), page)
    assert match, name
    return match.group(0)


def test_start_form_widgets_and_readonly_default(arena_app):
    me = Staff(arena_app, "zj_staff")
    page = me.get(f"/start/{KEY}").get_data(as_text=True)
    assert 'type="date"' in _tag(page, "planned_on")  # ui:widget alt-date
    assert 'type="checkbox"' in _tag(page, "urgent")  # ui:widget checkbox on a boolean
    campaign = _tag(page, "campaign")
    assert "readonly" in campaign and 'value="文化联动"' in campaign
    assert "文化联动期间的日期" in page  # the description, its placeholder filled from defaults
    me.post(f"/start/{KEY}", {"province": "浙江", "planned_on": "2016-05-01", "urgent": "y",
                              "campaign": "tampered"})
    engine = arena_app.extensions["liandong"]
    task = engine.tasks("zj_staff")[0]
    data = engine.case_data(task.case_id, "admin")
    assert data["campaign"] == "文化联动"  # a read-only field keeps the server's value
    assert data["urgent"] is True and data["planned_on"] == "2016-05-01"


def test_task_form_widgets_render_submit_and_initiator_lane(arena_app):
    engine = arena_app.extensions["liandong"]
    started = engine.start_case(KEY, "zj_staff", {"province": "浙江", "planned_on": "2016-05-01"})
    task_id = started.tasks[0]
    me = Staff(arena_app, "zj_staff")
    page = me.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert 'type="date"' in _tag(page, "event_date")
    assert 'type="datetime-local"' in _tag(page, "starts_at")
    assert _tag(page, "notes").startswith("<textarea")
    assert _tag(page, "venue_kind").startswith("<select") and "博物馆" in page
    assert 'type="radio"' in _tag(page, "audience") and "所有人" in page  # RadioWidget
    assert 'type="checkbox"' in _tag(page, "free_entry")
    assert _tag(page, "needs_permit").startswith("<select")  # a boolean as a yes/no list
    assert 'type="checkbox"' in _tag(page, "languages") and "英文" in page
    assert 'type="number"' in _tag(page, "seats")  # updown
    ref = _tag(page, "case_ref")
    assert "readonly" in ref and f'value="ZJ-2016-{started.case_id}"' in ref
    # descriptions: placeholders from the task data, escaped, a missing one empty
    assert "由王丽（浙江）为浙江编发</p>" in page
    assert "为浙江登记活动" in page and "最多200字，王丽（浙江）审阅" in page
    # ui:order: the listed fields first, "*" the rest, notes last
    order = [page.index(f'name="{n}"') for n in
             ("case_ref", "event_date", "starts_at", "venue_kind", "audience", "free_entry", "notes")]
    assert order == sorted(order)

    # someone else of the same province may not work on the initiator's task
    other = Staff(arena_app, "zj_staff2").get(f"/tasks/{task_id}")
    assert other.status_code in (403, 404) or 'name="event_date"' not in other.get_data(as_text=True)

    response = me.post(f"/tasks/{task_id}", {
        "case_ref": "forged", "event_date": "2016-05-10", "starts_at": "2016-05-10T19:30",
        "notes": "<b>广场舞</b>", "venue_kind": "square", "audience": "all", "free_entry": "y",
        "needs_permit": "no", "languages": ["zh", "en"], "seats": "300"})
    assert response.status_code == 302, response.get_data(as_text=True)
    with engine.db.read() as s:
        assert s.get(Case, started.case_id).status == "completed"


def test_a_draft_comes_back_into_the_same_widgets(arena_app):
    engine = arena_app.extensions["liandong"]
    started = engine.start_case(KEY, "zj_staff", {"province": "浙江", "planned_on": "2016-05-01"})
    me = Staff(arena_app, "zj_staff")
    response = me.post(f"/tasks/{started.tasks[0]}", {
        "case_ref": "forged", "event_date": "2016-05-10", "starts_at": "2016-05-10T19:30",
        "venue_kind": "museum", "audience": "children", "needs_permit": "yes",
        "languages": ["en"], "seats": "12", "save_draft": "1"})
    assert response.status_code == 302
    page = me.get(f"/tasks/{started.tasks[0]}").get_data(as_text=True)
    # the draft comes back into the same widgets: local time, checks, the boolean list
    assert 'value="2016-05-10T19:30"' in _tag(page, "starts_at")
    assert "selected" in page[page.index('name="needs_permit"'):page.index("</select>", page.index('name="needs_permit"'))]
    assert re.search(r'<input[^>]*checked[^>]*name="languages"[^>]*value="en"', page)


def test_submitted_values_types(arena_app):
    """What the engine stores: booleans, integers, ISO date-times with the person's offset,
    and the read-only field untouched by the post."""
    engine = arena_app.extensions["liandong"]
    started = engine.start_case(KEY, "zj_staff", {"province": "浙江", "planned_on": "2016-05-01"})
    me = Staff(arena_app, "zj_staff")
    seen = {}
    original = engine.complete_task

    def spy(task_id, user, data=None, uploads=()):
        seen.update(data or {})
        return original(task_id, user, data, uploads)
    engine.complete_task = spy
    response = me.post(f"/tasks/{started.tasks[0]}", {
        "case_ref": "forged", "event_date": "2016-05-10", "starts_at": "2016-05-10T19:30",
        "venue_kind": "library", "free_entry": "y", "needs_permit": "no",
        "languages": ["zh"], "seats": "300"})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert seen["case_ref"] == f"ZJ-2016-{started.case_id}"
    assert seen["starts_at"] == "2016-05-10T19:30:00+08:00"
    assert seen["free_entry"] is True and seen["needs_permit"] is False
    assert seen["seats"] == 300 and seen["languages"] == ["zh"]
