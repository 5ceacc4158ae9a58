"""/admin/clock on a training instance: admins move the clock forward (to a date, to the next
timer), what falls due fires, every page shows the simulated date; on a production
instance the page does not exist."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine import Engine
from engine.storage import Timer
from engine.storage.schema import upgrade
from tests.conftest import START, bpmn, demo_data
from web import create_app


@pytest.fixture
def training_app(settings, clock):
    engine = Engine(settings.with_(training=True), clock)
    upgrade(engine.db)
    demo_data(engine)
    engine.deploy(bpmn("timers/beside.bpmn"))
    yield create_app({"TESTING": True}, engine=engine)
    engine.close()


@pytest.fixture
def trainer(training_app):
    from tests.web.conftest import Staff
    return lambda who: Staff(training_app, who)


def test_move_to_a_date_and_the_banner_follows(training_app, trainer):
    admin = trainer("admin")
    page = admin.get("/admin/clock").get_data(as_text=True)
    assert "培训时钟" in page and 'id="training-banner"' in page and "2016-04-01" in page
    response = admin.post("/admin/clock", {"to": "date", "date": "2016-06-01", "time": "10:30"})
    assert response.status_code == 302
    engine = training_app.extensions["liandong"]
    assert engine.now() == START.replace(month=6, day=1, hour=2, minute=30)  # 10:30 in Beijing
    page = admin.get("/admin/clock").get_data(as_text=True)
    assert "时钟已调至 2016-06-01 10:30；触发了 0 个定时器" in page
    assert "2016-06-01 10:30" in trainer("zj_staff").get("/tasks").get_data(as_text=True)


def test_backward_and_bad_dates_are_refused_clearly(training_app, trainer):
    admin = trainer("admin")
    admin.post("/admin/clock", {"to": "date", "date": "2016-06-01"})
    engine = training_app.extensions["liandong"]
    moved = engine.now()
    back = admin.post("/admin/clock", {"to": "date", "date": "2016-05-01"}, follow_redirects=True)
    assert "时钟只能向前调" in back.get_data(as_text=True)
    bad = admin.post("/admin/clock", {"to": "date", "date": "June"}, follow_redirects=True)
    assert "请选择日期" in bad.get_data(as_text=True)
    none = admin.post("/admin/clock", {"to": "next"}, follow_redirects=True)
    assert "没有等待中的定时器" in none.get_data(as_text=True)
    assert engine.now() == moved


def test_next_timer_fires_it(training_app, trainer):
    engine = training_app.extensions["liandong"]
    case_id = engine.start_case("beside", "zj_staff").case_id
    admin = trainer("admin")
    admin.get("/locale")
    admin.post("/locale", {"locale": "en"})
    page = admin.post("/admin/clock", {"to": "next"}, follow_redirects=True).get_data(as_text=True)
    assert "1 timer(s) fired" in page and "Training instance" in page
    assert engine.now() == START + timedelta(hours=1, seconds=1)
    with engine.db.read() as s:
        assert s.scalar(select(Timer.status).where(Timer.case_id == case_id)) == "fired"


@pytest.mark.parametrize("who", ["auditor", "zj_staff", "ministry_officer"])
def test_only_admins(training_app, trainer, who):
    person = trainer(who)
    assert person.get("/admin/clock").status_code == 403
    assert person.post("/admin/clock", {"to": "date", "date": "2016-09-01"}).status_code == 403
    assert training_app.extensions["liandong"].now() == START


def test_production_has_no_clock_page(app, staff):
    admin = staff("admin")
    assert admin.get("/admin/clock").status_code == 404
    assert admin.post("/admin/clock", {"to": "next"}).status_code == 404
    assert 'id="training-banner"' not in admin.get("/tasks").get_data(as_text=True)
