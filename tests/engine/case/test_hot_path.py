"""What the engine's fast path must not give up: fresh permissions, rows that follow the
state, case rows written once and checked, dead pooled connections replaced."""
import pytest
from sqlalchemy import create_engine, select, text

from engine import Conflict, Forbidden
from engine.case.opened import open_case
from engine.people.identity import ActorCache
from engine.storage import Case, CaseTask, User
from tests.conftest import bpmn


@pytest.fixture
def deployed(campaign_orgs):
    campaign_orgs.deploy(bpmn("plan_review.bpmn"))
    return campaign_orgs


def test_a_role_removed_in_this_process_stops_working_at_once(deployed):
    """Removed by the admin command (which clears the actor cache), after zj_staff's actor
    was cached by starting the case."""
    started = deployed.start_case("plan_review", "zj_staff")
    with deployed.db.read() as s:
        memberships = [m.id for m in s.scalar(select(User).where(User.username == "zj_staff")).memberships]
    for membership_id in memberships:
        deployed.remove_membership("admin", "zj_staff", membership_id)
    with pytest.raises(Forbidden, match="may not work on task"):  # no role left in the lane
        deployed.complete_task(started.tasks[0], "zj_staff", {"title": "ab", "budget": 1})


def test_a_role_removed_elsewhere_stops_working_within_the_cache_time(engine, campaign_orgs):
    now = [0.0]
    cache = ActorCache(ttl=5.0, clock=lambda: now[0])
    with engine.db.transaction() as s:
        assert cache.resolve(s, "zj_staff").roles == {"province"}
    with engine.db.engine.begin() as conn:  # another process's change: no flush seen here
        conn.execute(text("DELETE FROM memberships WHERE user_id = "
                          "(SELECT id FROM users WHERE username = 'zj_staff')"))
    with engine.db.transaction() as s:
        now[0] = 4.9
        assert cache.resolve(s, "zj_staff").roles == {"province"}
        now[0] = 5.1
        assert cache.resolve(s, "zj_staff").roles == frozenset()


def test_task_rows_follow_the_state_without_reading_them_back(deployed):
    started = deployed.start_case("plan_review", "zj_staff")
    done = deployed.complete_task(started.tasks[0], "zj_staff", {"title": "ab", "budget": 1})
    deployed.complete_task(done.tasks[0], "ministry_officer", {"ok": True})
    with deployed.db.transaction() as s:
        rows = {r.id: (r.state, r.completed_by) for r in s.scalars(
            select(CaseTask).where(CaseTask.case_id == started.case_id))}
    assert rows == {started.tasks[0]: ("completed", "zj_staff"),
                    done.tasks[0]: ("completed", "ministry_officer"),
                    done.tasks[1]: ("ready", None)}


def test_a_change_after_the_last_event_is_still_written(deployed):
    started = deployed.start_case("plan_review", "zj_staff")
    with deployed.db.transaction() as session:
        with open_case(deployed, session, started.case_id, deployed.system_actor) as opened:
            opened.record("note")
            opened.case.title = "改过的标题"
    with deployed.db.transaction() as s:
        case = s.get(Case, started.case_id)
    assert (case.title, case.audit_seq) == ("改过的标题", 2)


def test_a_case_row_changed_underneath_is_a_conflict_and_nothing_is_written(deployed):
    started = deployed.start_case("plan_review", "zj_staff")
    with deployed.db.transaction() as s:
        version_before = s.get(Case, started.case_id).lock_version
    with pytest.raises(Conflict, match="changed by someone else"):
        with deployed.db.transaction() as session:
            with open_case(deployed, session, started.case_id, deployed.system_actor) as opened:
                session.connection().execute(text(
                    f"UPDATE cases SET lock_version = lock_version + 1 WHERE id = {started.case_id}"))
                opened.record("note")
    with deployed.db.transaction() as s:
        case = s.get(Case, started.case_id)
    assert (case.audit_seq, case.lock_version) == (1, version_before)


def test_a_dead_pooled_connection_is_replaced(deployed, monkeypatch):
    if deployed.db.dialect != "postgresql":
        pytest.skip("SQLite has no server connection to lose")
    from engine.storage import db
    monkeypatch.setattr(db, "PING_AFTER_IDLE_S", 0.0)
    with deployed.db.transaction() as s:
        pid = s.execute(text("SELECT pg_backend_pid()")).scalar()
    killer = create_engine(deployed.db.url)
    with killer.begin() as conn:  # end the pooled connection from outside, as a restart would
        conn.execute(text(f"SELECT pg_terminate_backend({pid})"))
    killer.dispose()
    started = deployed.start_case("plan_review", "zj_staff")
    assert started.tasks


def test_a_case_started_by_a_timer_that_ends_at_once_records_its_end_once(engine, clock):
    from datetime import UTC, datetime, timedelta

    from engine.storage import AuditEvent
    model = (bpmn("timers/monthly.bpmn")["monthly.bpmn"]
             .replace(b'<bpmn:userTask id="Report" name="Send the report" />', b"")
             .replace(b'targetRef="Report"', b'targetRef="EndEvent"')
             .replace(b'<bpmn:sequenceFlow id="F2" sourceRef="Report" targetRef="EndEvent" />', b""))
    engine.deploy({"monthly.bpmn": model})
    clock.set(datetime(2016, 4, 2, 1, tzinfo=UTC) + timedelta(seconds=1))
    assert engine.fire_due_timers().fired == 1
    with engine.db.transaction() as s:
        case = s.scalars(select(Case)).one()
        kinds = s.scalars(select(AuditEvent.kind).where(AuditEvent.case_id == case.id)
                          .order_by(AuditEvent.seq)).all()
    assert case.status == "completed"
    assert kinds == ["case_started", "case_completed", "timer_fired"]
