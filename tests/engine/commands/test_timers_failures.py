"""A failing timer action is retried with backoff, then becomes an incident that an admin
retries by hand once the cause is fixed."""
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from engine.errors import Conflict, Forbidden
from engine.storage import AuditEvent, Case, Incident, Timer
from tests.conftest import bpmn


@pytest.fixture
def failing_case(campaign_orgs, clock):
    """A case whose script after the timer needs `budget_per_city`, which it lacks."""
    engine = campaign_orgs
    engine.deploy(bpmn("timers/wait.bpmn"))
    started = engine.start_case("wait", data={
        "plan_deadline": (clock.now() + timedelta(hours=1)).isoformat()})
    clock.advance(timedelta(hours=1, seconds=1))
    return engine, started.case_id


def _timer(engine, case_id):
    with engine.db.transaction() as s:
        return s.scalar(select(Timer).where(Timer.case_id == case_id))


def test_retries_with_backoff_then_an_incident(failing_case, clock):
    engine, case_id = failing_case
    backoff = engine.settings.timer_backoff_seconds
    assert engine.fire_due_timers().failed == 1
    row = _timer(engine, case_id)
    assert (row.status, row.attempts) == ("pending", 1) and "budget_per_city" in row.last_error
    assert row.retry_at == clock.now() + timedelta(seconds=backoff)
    assert engine.fire_due_timers().claimed == 0  # backing off

    clock.advance(timedelta(seconds=backoff))
    assert engine.fire_due_timers().failed == 1
    row = _timer(engine, case_id)
    assert row.attempts == 2 and row.retry_at == clock.now() + timedelta(seconds=2 * backoff)

    clock.advance(timedelta(seconds=2 * backoff))
    assert engine.fire_due_timers().failed == 1
    row = _timer(engine, case_id)
    assert (row.status, row.attempts) == ("failed", 3)
    clock.advance(timedelta(days=1))
    assert engine.fire_due_timers().claimed == 0  # given up: no more automatic tries

    with engine.db.transaction() as s:
        [incident] = s.scalars(select(Incident)).all()
        assert (incident.case_id, incident.timer_id, incident.element_id, incident.kind) == \
            (case_id, row.id, "After", "timer")
        assert "budget_per_city" in incident.message
        case = s.get(Case, case_id)
        assert case.status == "running" and case.last_error_element == "After"
        assert s.scalars(select(AuditEvent.kind).where(AuditEvent.kind == "timer_fired")).all() == []


def test_admin_retries_the_incident_once_fixed(failing_case, clock):
    engine, case_id = failing_case
    for _ in range(3):
        engine.fire_due_timers()
        clock.advance(timedelta(minutes=5))
    with engine.db.transaction() as s:
        [incident] = s.scalars(select(Incident)).all()

    with pytest.raises(Forbidden):
        engine.retry_incident(incident.id, "zj_staff")
    # retried without a fix, it fails again and goes back to automatic retries
    assert engine.retry_incident(incident.id, "admin").startswith("failed")
    with engine.db.transaction() as s:
        [incident_again] = s.scalars(select(Incident)).all()
        assert incident_again.resolved_by == "admin"
    assert _timer(engine, case_id).status == "pending"
    for _ in range(3):
        clock.advance(timedelta(minutes=5))
        engine.fire_due_timers()
    with engine.db.transaction() as s:
        second = s.scalars(select(Incident).where(Incident.resolved_at.is_(None))).one()

    assert engine.retry_incident(second.id, "admin", {"budget_per_city": 7}) == "fired"
    with engine.db.transaction() as s:
        case = s.get(Case, case_id)
        assert case.status == "completed" and case.facts["budget"] == 14
        assert s.get(Incident, second.id).resolved_by == "admin"
    with pytest.raises(Conflict):
        engine.retry_incident(second.id, "admin")


def test_incident_commands(failing_case, clock, monkeypatch):
    from web.commands import main
    engine, case_id = failing_case
    for _ in range(3):
        engine.fire_due_timers()
        clock.advance(timedelta(minutes=5))
    monkeypatch.setenv("LIANDONG_DATABASE_URL", engine.settings.database_url)
    runner = CliRunner()
    listed = runner.invoke(main, ["incidents"])
    assert listed.exit_code == 0 and f"case={case_id}\tAfter\ttimer" in listed.output
    assert "budget_per_city" in listed.output
    refused = runner.invoke(main, ["incidents", "--user", "zj_staff"])
    assert refused.exit_code == 1 and "may not list incidents" in refused.output
    bad = runner.invoke(main, ["retry-incident", "1", "--data", "[1]"])
    assert bad.exit_code == 2 and "JSON object" in bad.output
    with engine.db.transaction() as s:
        incident_id = s.scalar(select(Incident.id))
    fixed = runner.invoke(main, ["retry-incident", str(incident_id), "--data",
                                 '{"budget_per_city": 3}'])
    assert fixed.exit_code == 0, fixed.output
    assert f"incident {incident_id}: fired" in fixed.output
    assert "no incidents" in runner.invoke(main, ["incidents"]).output
