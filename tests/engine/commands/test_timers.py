"""Timers fire at the right time, once, with the manual clock: intermediate, boundary
(interrupting and not, with a cycle), timer start events; every expression form."""
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from engine.storage import AuditEvent, Case, Notification, Timer
from tests.conftest import bpmn


def _wait_model(definition: str) -> dict[str, bytes]:
    """timers/wait.bpmn with its timer definition replaced by `definition`."""
    files = bpmn("timers/wait.bpmn")
    text = files["wait.bpmn"].decode()
    start = text.index("<bpmn:timeDate")
    end = text.index("</bpmn:timeDate>") + len("</bpmn:timeDate>")
    return {"wait.bpmn": (text[:start] + definition + text[end:]).encode()}


def _rows(engine, **where):
    with engine.db.transaction() as s:
        query = select(Timer).order_by(Timer.id)
        for name, value in where.items():
            query = query.where(getattr(Timer, name) == value)
        return list(s.scalars(query))


def _events(engine, case_id, kind):
    with engine.db.transaction() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id,
                                                       AuditEvent.kind == kind)))


def _case(engine, case_id):
    with engine.db.transaction() as s:
        return s.get(Case, case_id)


def test_a_suspended_case_fires_no_timer_until_resumed(engine, clock):
    """Suspending a case puts its timers aside (the scheduler has nothing to claim); resuming
    runs at once what fell due meanwhile."""
    engine.deploy(bpmn("timers/wait.bpmn"))
    started = engine.start_case("wait", data={"plan_deadline": (clock.now() + timedelta(days=1)).isoformat(),
                                              "budget_per_city": 10})
    engine.suspend_case(started.case_id, "system", "paused")
    clock.advance(timedelta(days=2))
    assert engine.fire_due_timers().claimed == 0
    assert _rows(engine, case_id=started.case_id, status="pending") == []
    assert _case(engine, started.case_id).status == "suspended"
    engine.resume_case(started.case_id, "system", "go on")
    assert _case(engine, started.case_id).status == "completed"
    [resumed] = _events(engine, started.case_id, "case_resumed")
    [fired] = _events(engine, started.case_id, "timer_fired")
    assert "Wait" in resumed.detail["path"] and fired.element_id == "Wait"
    assert [r.status for r in _rows(engine, case_id=started.case_id)] == ["cancelled", "fired"]


def test_an_overdue_timer_fired_by_another_command_leaves_the_schedulers_trace(engine, clock):
    """Completing a task on one branch moves the case on, and the timer overdue on the
    other branch fires in that command: its row, and its event before the command's own,
    since it fell due first (processes/README.md, "Deadlines")."""
    engine.deploy(bpmn("timers/beside.bpmn"))
    started = engine.start_case("beside")
    clock.advance(timedelta(hours=2))  # no scheduler tick in between
    engine.complete_task(started.tasks[0], "system", {})
    assert _case(engine, started.case_id).status == "completed"
    with engine.db.transaction() as s:
        kinds = s.scalars(select(AuditEvent.kind).where(AuditEvent.case_id == started.case_id)
                          .order_by(AuditEvent.seq)).all()
    assert kinds == ["case_started", "timer_fired", "task_completed", "case_completed"]
    [fired] = _events(engine, started.case_id, "timer_fired")
    [row] = _rows(engine, case_id=started.case_id)
    assert (row.status, row.id, fired.element_id) == ("fired", fired.detail["timer_id"], "Checkpoint")
    assert fired.detail["late_seconds"] == 3600.0
    assert engine.fire_due_timers().claimed == 0


def test_intermediate_timer_fires_once_when_due_and_not_before(engine, clock):
    engine.deploy(bpmn("timers/wait.bpmn"))
    deadline = clock.now() + timedelta(days=19)
    started = engine.start_case("wait", data={"plan_deadline": deadline.isoformat(),
                                              "budget_per_city": 10})
    [row] = _rows(engine, case_id=started.case_id)
    assert (row.due_at, row.status, row.kind) == (deadline, "pending", "date")

    clock.advance(timedelta(days=19) - timedelta(seconds=1))
    assert engine.fire_due_timers().fired == 0
    assert _case(engine, started.case_id).status == "running"

    clock.advance(timedelta(seconds=2))
    assert engine.fire_due_timers().fired == 1
    assert engine.fire_due_timers().fired == 0
    case = _case(engine, started.case_id)
    assert case.status == "completed" and case.facts["budget"] == 20
    [row] = _rows(engine, case_id=started.case_id)
    assert row.status == "fired" and row.fired_at == clock.now()
    [event] = _events(engine, started.case_id, "timer_fired")
    assert event.element_id == "Wait" and event.detail["late_seconds"] == 1.0


@pytest.mark.parametrize("definition, data, due", [
    ("<bpmn:timeDuration>'PT1H'</bpmn:timeDuration>", {}, timedelta(hours=1)),
    ("<bpmn:timeDuration>PT1H</bpmn:timeDuration>", {}, timedelta(hours=1)),
    ("<bpmn:timeDuration>wait_for</bpmn:timeDuration>", {"wait_for": "PT2H"}, timedelta(hours=2)),
    ("<bpmn:timeDate>2016-04-20T00:00:00+08:00</bpmn:timeDate>", {},
     datetime(2016, 4, 19, 16, tzinfo=UTC)),
    ("<bpmn:timeDate>'2016-04-20T00:00:00+08:00'</bpmn:timeDate>", {},
     datetime(2016, 4, 19, 16, tzinfo=UTC)),
    ("<bpmn:timeDate>plan_deadline</bpmn:timeDate>",
     {"plan_deadline": "2016-04-20T00:00:00+08:00"}, datetime(2016, 4, 19, 16, tzinfo=UTC)),
], ids=["quoted-duration", "iso-duration", "variable-duration", "iso-date", "quoted-date",
        "variable-date"])
def test_every_expression_form_gives_the_due_time(engine, clock, definition, data, due):
    engine.deploy(_wait_model(definition))
    started = engine.start_case("wait", data={"budget_per_city": 1, **data})
    expected = clock.now() + due if isinstance(due, timedelta) else due
    [row] = _rows(engine, case_id=started.case_id)
    assert row.due_at == expected
    clock.set(expected - timedelta(seconds=1))
    assert engine.fire_due_timers().fired == 0
    clock.set(expected + timedelta(seconds=1))
    assert engine.fire_due_timers().fired == 1
    assert _case(engine, started.case_id).status == "completed"


def test_boundary_cycle_reminds_three_times_then_the_deadline_escalates(campaign_orgs, clock):
    engine = campaign_orgs
    engine.deploy(bpmn("timers/remind.bpmn"))
    deadline = clock.now() + timedelta(hours=5)
    started = engine.start_case("remind", "zj_staff", {"plan_deadline": deadline.isoformat()},
                                organisation="zj")
    rows = {r.element_id: r for r in _rows(engine, case_id=started.case_id)}
    assert rows["Remind"].kind == "cycle" and rows["Remind"].due_at == clock.now() + timedelta(hours=1)
    assert rows["Late"].due_at == deadline

    for hour in (1, 2, 3):
        clock.set(started_at(engine, started.case_id) + timedelta(hours=hour, seconds=1))
        assert engine.fire_due_timers().fired == 1
        pending = _rows(engine, case_id=started.case_id, element_id="Remind", status="pending")
        if hour < 3:
            assert [r.due_at for r in pending] == [
                started_at(engine, started.case_id) + timedelta(hours=hour + 1)]
        else:
            assert pending == []  # R3: three reminders, then the cycle is done
    assert len(_rows(engine, case_id=started.case_id, element_id="Remind", status="fired")) == 3
    [submit] = engine.tasks("zj_staff")
    assert submit.element_id == "Submit"  # a reminder does not interrupt

    with engine.db.transaction() as s:
        reminders = s.scalars(select(Notification).where(Notification.kind == "reminder")
                              .order_by(Notification.id)).all()
        # the province lane on the case's branch: both zj province officers, not js_staff
        assert sorted({n.username for n in reminders}) == ["zj_staff", "zj_staff2"]
        assert len(reminders) == 6 and all(n.task_id == submit.id for n in reminders)

    clock.set(deadline + timedelta(seconds=1))
    assert engine.fire_due_timers().fired == 1
    [escalate] = engine.tasks("ministry_officer")
    assert escalate.element_id == "Escalate"
    assert engine.tasks("zj_staff") == []
    with engine.db.transaction() as s:
        escalations = s.scalars(select(Notification).where(Notification.kind == "escalation")).all()
        assert [n.username for n in escalations] == ["ministry_officer"]
    assert [e.element_id for e in _events(engine, started.case_id, "timer_fired")] == \
        ["Remind", "Remind", "Remind", "Late"]


def started_at(engine, case_id):
    return _case(engine, case_id).started_at


def test_start_timer_starts_cases_on_its_cycle_and_a_new_version_replaces_it(engine, clock):
    engine.deploy(bpmn("timers/monthly.bpmn"))
    first_due = datetime(2016, 4, 2, 1, tzinfo=UTC)  # 09:00 in Shanghai
    [row] = _rows(engine, status="pending")
    assert (row.case_id, row.element_id, row.kind, row.due_at, row.cycles_left) == \
        (None, "Every", "cycle", first_due, 3)

    clock.set(first_due - timedelta(seconds=1))
    assert engine.fire_due_timers().fired == 0
    clock.set(first_due + timedelta(seconds=1))
    assert engine.fire_due_timers().fired == 1
    with engine.db.transaction() as s:
        [case] = s.scalars(select(Case)).all()
        assert case.process_key == "monthly" and case.status == "running"
    [report] = engine.tasks("system", case_id=case.id)
    assert report.element_id == "Report"
    [rearmed] = _rows(engine, status="pending")
    assert (rearmed.due_at, rearmed.cycles_left) == (first_due + timedelta(days=1), 2)

    changed = bpmn("timers/monthly.bpmn")["monthly.bpmn"].replace(b"R3/2016-04-02", b"R2/2016-04-05")
    engine.deploy({"monthly.bpmn": changed})
    [replaced] = _rows(engine, status="replaced")
    assert replaced.id == rearmed.id
    [new] = _rows(engine, status="pending")
    assert new.due_at == datetime(2016, 4, 5, 1, tzinfo=UTC) and new.cycles_left == 2

    clock.set(datetime(2016, 4, 7, 2, tzinfo=UTC))  # both occurrences are past
    assert engine.fire_due_timers().fired == 1  # missed ones are not replayed one by one
    assert _rows(engine, status="pending") == []
    with engine.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 2


def test_a_timer_whose_task_was_completed_first_is_not_fired(campaign_orgs, clock):
    engine = campaign_orgs
    engine.deploy(bpmn("deadline.bpmn"))
    started = engine.start_case("deadline", "zj_staff",
                                {"plan_deadline": (clock.now() + timedelta(days=1)).isoformat()})
    engine.complete_task(started.tasks[0], "zj_staff", {})
    [row] = _rows(engine, case_id=started.case_id)
    assert row.status == "cancelled"
    clock.advance(timedelta(days=2))
    assert engine.fire_due_timers().claimed == 0
    assert _events(engine, started.case_id, "timer_fired") == []


def test_timers_command_lists_pending_timers_with_due_time_and_case(engine, clock, monkeypatch):
    from click.testing import CliRunner

    from web.commands import main
    engine.deploy(bpmn("timers/monthly.bpmn"))
    engine.deploy(bpmn("timers/wait.bpmn"))
    started = engine.start_case("wait", data={"plan_deadline": "2016-04-20T00:00:00+08:00"})
    monkeypatch.setenv("LIANDONG_DATABASE_URL", engine.settings.database_url)
    listed = CliRunner().invoke(main, ["timers"])
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert "2016-04-02 01:00:00Z\tpending\tstart version=1\tEvery\tcycle" in lines[0]
    assert f"2016-04-19 16:00:00Z\tpending\tcase={started.case_id}\tWait\tdate" in lines[1]


def test_the_background_ticker_fires_on_the_real_clock(settings):
    """What `liandong run` starts inside the web process."""
    import time

    from engine.clock import Clock
    from engine.core import Engine
    from engine.scheduler import start_background_ticker
    from engine.storage.schema import upgrade
    live = Engine(settings.with_(tick_seconds=0.2), Clock())
    upgrade(live.db)
    live.deploy(bpmn("timers/wait.bpmn"))
    due = live.now() + timedelta(seconds=0.5)
    started = live.start_case("wait", data={"plan_deadline": due.isoformat(),
                                            "budget_per_city": 1})
    ticker = start_background_ticker(live)
    try:
        limit = time.monotonic() + 10
        while _case(live, started.case_id).status != "completed" and time.monotonic() < limit:
            time.sleep(0.1)
        [event] = _events(live, started.case_id, "timer_fired")
        assert 0 <= event.detail["late_seconds"] < 2
    finally:
        ticker.shutdown()
        live.close()


def test_the_scheduler_and_fire_due_timers_run_one_loop(engine, clock):
    """A burst of more than two claim batches fires whole in one call of either: the same
    loop, the same stop rule."""
    from engine.commands.timers import CLAIM_BATCH
    from engine.scheduler import Ticker
    engine.deploy(bpmn("timers/wait.bpmn"))
    burst = 2 * CLAIM_BATCH + 5
    for hours in (1, 2):
        due = clock.now() + timedelta(hours=hours)
        for _ in range(burst):
            engine.start_case("wait", data={"plan_deadline": due.isoformat(), "budget_per_city": 1})
    clock.advance(timedelta(hours=1, seconds=1))
    ticker = Ticker(engine, "node-a")
    ticker()
    assert ticker.fired_now == burst
    clock.advance(timedelta(hours=1))
    result = engine.fire_due_timers()
    assert (result.claimed, result.fired) == (burst, burst)
    assert _rows(engine, status="pending") == []
