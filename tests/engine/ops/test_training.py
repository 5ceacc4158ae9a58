"""A training instance's clock: an admin moves it forward (to a date or the next timer),
never back; every engine on the database sees the move; what fell due fires at once; a
production instance refuses."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine import Engine, Forbidden, InvalidData
from engine.clock import ManualClock
from engine.people import trail
from engine.storage import Timer
from tests.conftest import START, bpmn, demo_data


@pytest.fixture
def training(settings, clock):
    from engine.storage.schema import upgrade
    engine = Engine(settings.with_(training=True), clock)
    upgrade(engine.db)
    demo_data(engine)
    yield engine
    engine.close()


def test_moves_to_a_date_and_every_engine_sees_it(training, settings):
    moved = training.move_clock("admin", START + timedelta(days=30))
    assert moved.before == START and moved.after == START + timedelta(days=30)
    assert training.now() == START + timedelta(days=30)
    other = Engine(settings.with_(training=True), ManualClock(START))  # another worker
    try:
        assert other.now() == START + timedelta(days=30)
    finally:
        other.close()
    with training.db.read() as s:
        event = trail.events(s)[0]
    assert event.kind == "clock_moved" and event.actor == "admin"
    assert event.detail["after"] == (START + timedelta(days=30)).isoformat()


def test_never_backward_and_only_admins(training):
    training.move_clock("admin", START + timedelta(days=2))
    with pytest.raises(InvalidData):
        training.move_clock("admin", START + timedelta(days=1))
    for who in ("auditor", "ministry_officer", "zj_staff"):
        with pytest.raises(Forbidden):
            training.move_clock(who, START + timedelta(days=9))
    assert training.now() == START + timedelta(days=2)


def test_next_timer_fires_what_falls_due(training):
    training.deploy(bpmn("timers/beside.bpmn"))
    case_id = training.start_case("beside", "zj_staff").case_id
    moved = training.move_clock("admin", to_next_timer=True)
    assert moved.after == START + timedelta(hours=1, seconds=1)
    assert moved.fired == 1
    with training.db.read() as s:
        assert s.scalar(select(Timer.status).where(Timer.case_id == case_id)) == "fired"
    with pytest.raises(InvalidData):  # nothing waits any more
        training.move_clock("admin", to_next_timer=True)


def test_production_instance_refuses(engine, campaign_orgs):
    with pytest.raises(Forbidden):
        engine.move_clock("admin", START + timedelta(days=1))
    assert engine.now() == START
