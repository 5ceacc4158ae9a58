"""Readiness and status: the database, its schema, every scheduler's heartbeat and the
due-timer backlog, as /readyz and `liandong status` report them."""
from datetime import timedelta

from sqlalchemy import text

from engine import Engine
from engine.bench.timer_bench import MODEL as WAIT_MODEL
from engine.ops.health import readiness, schema_head, stale_after, status
from engine.scheduler import Ticker
from engine.storage.schema import upgrade


def test_ready_when_the_database_answers_at_the_current_schema(engine):
    found = readiness(engine)
    assert found.ok and found.revision == schema_head() == "0012_audit_seals"


def test_not_ready_without_a_schema_or_behind_it(settings, tmp_path):
    fresh = Engine(settings.with_(database_url=f"sqlite:///{tmp_path / 'bare.sqlite3'}"))
    try:
        found = readiness(fresh)
        assert not found.ok and "init-db" in found.reason and found.revision is None
        upgrade(fresh.db)
        with fresh.db.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '0007_audit_truncate'"))
        found = readiness(fresh)
        assert not found.ok and "0007_audit_truncate" in found.reason
        assert status(fresh).problems == [found.reason]
    finally:
        fresh.close()


def test_not_ready_when_the_database_cannot_be_reached(settings):
    gone = Engine(settings.with_(database_url="postgresql+psycopg://nobody@127.0.0.1:9/none"))
    try:
        found = readiness(gone)
        assert not found.ok and found.reason.startswith("database unreachable")
        assert not status(gone).ok
    finally:
        gone.close()


def test_status_shows_each_schedulers_heartbeat_and_the_due_backlog(engine, clock):
    engine.deploy({"bench_timer.bpmn": WAIT_MODEL})
    assert status(engine).problems == [
        "no scheduler has written a heartbeat lately: timers will not fire"]
    for days in (1, 2):
        engine.start_case("bench_timer", data={"due": (clock.now() + timedelta(days=days)).isoformat()})
    ticker = Ticker(engine, "node-a")
    ticker()  # writes the heartbeat, fires nothing (nothing due)
    found = status(engine)
    assert found.ok and found.due_backlog == 0
    assert [(s.node_id, s.fresh, s.fired) for s in found.schedulers] == [("node-a", True, 0)]

    clock.advance(timedelta(days=1, seconds=1))
    assert status(engine).due_backlog == 1   # due, and no scheduler ticked since
    ticker.heartbeat._last = None            # next beat not throttled
    ticker()
    clock.advance(timedelta(seconds=stale_after(engine) + 1))
    found = status(engine)
    assert found.due_backlog == 0
    assert [(s.node_id, s.fresh) for s in found.schedulers] == [("node-a", False)]
    assert not found.ok and "heartbeat" in found.problems[0]
    ticker.heartbeat._last = None
    ticker()
    assert status(engine).schedulers[0].fired == 1 and status(engine).ok
