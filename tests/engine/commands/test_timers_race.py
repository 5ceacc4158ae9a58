"""A timer that falls due races a person (or a message) who comes a moment later, before
any scheduler fired it. The rule (processes/README.md, "Deadlines"): the clock decides.
A timer due before the command came fires first, with its row, event and reminders;
whatever it closed is refused with a Conflict naming it, and a timer that did not fire
leaves no trace of firing. Each race is forced both ways round (tests.conftest.interleave)
and must end the same."""
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from engine.errors import Conflict
from engine.storage import AuditEvent, Case, CaseMessage, Notification, Timer
from tests.conftest import bpmn, hold_after_load, interleave


class _Run(threading.Thread):
    """A command in a thread of its own name, keeping its result or its error."""

    def __init__(self, name, command):
        super().__init__(name=name, daemon=True)
        self.command, self.result, self.error = command, None, None

    def run(self):
        try:
            self.result = self.command()
        except Exception as err:  # noqa: BLE001 - the test looks at it
            self.error = err


def _race(engine, first, second):
    """Hold `first` once it has loaded its case, let `second` wait for the lock, go on."""
    loaded, release = hold_after_load(engine, first.name)
    interleave(loaded, release, first, second, f"{second.name} must wait for the case's lock")
    engine.on_case_loaded = None


def _kinds(engine, case_id):
    with engine.db.transaction() as s:
        return s.scalars(select(AuditEvent.kind).where(AuditEvent.case_id == case_id)
                         .order_by(AuditEvent.seq)).all()


def _timers(engine, case_id):
    with engine.db.transaction() as s:
        return {(r.element_id, r.status) for r in s.scalars(select(Timer).where(Timer.case_id == case_id))}


def _notified(engine, kind):
    with engine.db.transaction() as s:
        return s.scalars(select(Notification.username).where(Notification.kind == kind)).all()


def _race_case(engine, clock, overdue_in, deadline_in):
    engine.deploy(bpmn("timers/race.bpmn"))
    started = engine.start_case("race", "hz_staff", {
        "overdue_at": (clock.now() + overdue_in).isoformat(),
        "deadline": (clock.now() + deadline_in).isoformat()})
    return started.case_id, started.tasks[0]


@pytest.mark.parametrize("first", ["completer", "scheduler"])
def test_a_due_interrupting_deadline_wins_whoever_holds_the_case_first(campaign_orgs, clock, first):
    engine = campaign_orgs
    case_id, submit = _race_case(engine, clock, timedelta(days=10), timedelta(hours=1))
    clock.advance(timedelta(hours=1, seconds=1))  # due; no scheduler has ticked
    completer = _Run("completer", lambda: engine.complete_task(submit, "hz_staff", {"summary": "x"}))
    scheduler = _Run("scheduler", engine.fire_due_timers)
    _race(engine, *((completer, scheduler) if first == "completer" else (scheduler, completer)))

    assert scheduler.error is None
    assert isinstance(completer.error, Conflict), completer.result
    if first == "completer":
        assert "Material deadline" in str(completer.error)  # names the timer that won
    kinds = _kinds(engine, case_id)
    assert kinds == ["case_started", "timer_fired", "case_completed"]
    assert _timers(engine, case_id) == {("Late", "fired"), ("Overdue", "cancelled")}
    with engine.db.transaction() as s:
        case = s.get(Case, case_id)
        assert case.status == "completed" and case.facts["material_late"] is True
    assert _notified(engine, "escalation") == ["ministry_officer"]  # once, by the winner


@pytest.mark.parametrize("first", ["completer", "scheduler"])
def test_a_due_non_interrupting_timer_fires_and_the_completion_goes_on(campaign_orgs, clock, first):
    engine = campaign_orgs
    case_id, submit = _race_case(engine, clock, timedelta(hours=1), timedelta(days=10))
    clock.advance(timedelta(hours=1, seconds=1))
    completer = _Run("completer", lambda: engine.complete_task(submit, "hz_staff", {"summary": "x"}))
    scheduler = _Run("scheduler", engine.fire_due_timers)
    _race(engine, *((completer, scheduler) if first == "completer" else (scheduler, completer)))

    assert completer.error is None and scheduler.error is None
    kinds = _kinds(engine, case_id)
    assert sorted(kinds) == ["case_started", "task_completed", "timer_fired"]
    assert kinds.index("timer_fired") < kinds.index("task_completed")  # the clock's order
    assert _timers(engine, case_id) == {("Overdue", "fired"), ("Late", "cancelled")}
    [urge] = engine.tasks("system", case_id=case_id)
    assert urge.element_id == "Urge"  # the timer's path ran
    assert _notified(engine, "reminder") == ["ministry_officer"]


def test_a_task_finished_before_its_timers_are_due_fires_none(campaign_orgs, clock):
    """Cancelled is not fired: no event, no `fired` row, no reminder."""
    engine = campaign_orgs
    case_id, submit = _race_case(engine, clock, timedelta(hours=1), timedelta(hours=2))
    engine.complete_task(submit, "hz_staff", {})
    clock.advance(timedelta(hours=3))
    assert engine.fire_due_timers().claimed == 0
    assert _kinds(engine, case_id) == ["case_started", "task_completed", "case_completed"]
    assert _timers(engine, case_id) == {("Overdue", "cancelled"), ("Late", "cancelled")}
    assert _notified(engine, "reminder") == _notified(engine, "escalation") == []


def _hold_case(engine, thread_name, case_id):
    """hold_after_load, for one case only (the deliverer first completes another one)."""
    loaded, release = threading.Event(), threading.Event()

    def hold(loaded_id):
        if threading.current_thread().name == thread_name and loaded_id == case_id:
            loaded.set()
            assert release.wait(10)

    engine.on_case_loaded = hold
    return loaded, release


@pytest.mark.parametrize("first", ["deliverer", "scheduler"])
def test_an_event_based_gateway_takes_the_due_timer_before_a_later_message(campaign_orgs, clock, first):
    engine = campaign_orgs
    engine.deploy(bpmn("timers/answer_child.bpmn"))
    engine.deploy(bpmn("timers/answer.bpmn"))
    parent = engine.start_case("answer", "system", {
        "deadline": (clock.now() + timedelta(hours=1)).isoformat()}, organisation="ministry")
    [reply] = [t for t in engine.tasks("system") if t.element_id == "Reply"]
    clock.advance(timedelta(hours=1, seconds=1))  # due; the answer comes a moment later
    deliverer = _Run("deliverer", lambda: engine.complete_task(reply.id, "system", {}))
    scheduler = _Run("scheduler", engine.fire_due_timers)
    loaded, release = _hold_case(engine, first, parent.case_id)
    held, waiter = (deliverer, scheduler) if first == "deliverer" else (scheduler, deliverer)
    interleave(loaded, release, held, waiter, f"{waiter.name} must wait")
    engine.on_case_loaded = None

    assert deliverer.error is None and scheduler.error is None
    assert _kinds(engine, parent.case_id).count("timer_fired") == 1
    assert "message_received" not in _kinds(engine, parent.case_id)
    assert _timers(engine, parent.case_id) == {("TooLate", "fired")}
    with engine.db.transaction() as s:
        case = s.get(Case, parent.case_id)
        assert case.status == "completed" and case.facts["answered_late"] is True
        assert s.scalars(select(CaseMessage.status)).all() == ["undeliverable"]


def test_an_answer_before_the_deadline_leaves_the_gateway_timer_cancelled(campaign_orgs, clock):
    engine = campaign_orgs
    engine.deploy(bpmn("timers/answer_child.bpmn"))
    engine.deploy(bpmn("timers/answer.bpmn"))
    parent = engine.start_case("answer", "system", {
        "deadline": (clock.now() + timedelta(hours=1)).isoformat()}, organisation="ministry")
    assert _timers(engine, parent.case_id) == {("TooLate", "pending")}  # the scheduler sees it
    [reply] = [t for t in engine.tasks("system") if t.element_id == "Reply"]
    engine.complete_task(reply.id, "system", {})
    clock.advance(timedelta(hours=2))
    assert engine.fire_due_timers().claimed == 0
    assert _timers(engine, parent.case_id) == {("TooLate", "cancelled")}
    kinds = _kinds(engine, parent.case_id)
    assert "message_received" in kinds and "timer_fired" not in kinds


RACES = 200


def test_the_race_repeated_ends_one_way_every_time(campaign_orgs, clock, capsys):
    """Unforced, `RACES` times: whoever gets the lock, the deadline wins and fires once."""
    engine = campaign_orgs
    engine.deploy(bpmn("timers/race.bpmn"))
    outcomes = {"refused, naming the timer": 0, "refused, task closed": 0, "completed": 0}
    case_ids = []
    for _ in range(RACES):
        started = engine.start_case("race", "hz_staff", {
            "overdue_at": (clock.now() + timedelta(days=10)).isoformat(),
            "deadline": (clock.now() + timedelta(minutes=1)).isoformat()})
        case_ids.append(started.case_id)
        clock.advance(timedelta(minutes=1, seconds=1))
        completer = _Run("completer", lambda: engine.complete_task(started.tasks[0], "hz_staff", {}))
        scheduler = _Run("scheduler", engine.fire_due_timers)
        completer.start(), scheduler.start()
        completer.join(20), scheduler.join(20)
        assert scheduler.error is None and not completer.is_alive() and not scheduler.is_alive()
        if completer.error is None:
            outcomes["completed"] += 1
        elif "Material deadline" in str(completer.error):
            outcomes["refused, naming the timer"] += 1
        else:
            assert isinstance(completer.error, Conflict), completer.error
            outcomes["refused, task closed"] += 1
    with capsys.disabled():
        print(f"\n{engine.db.dialect}: {RACES} races: {outcomes}")
    assert outcomes["completed"] == 0
    with engine.db.transaction() as s:
        fired = dict(s.execute(select(AuditEvent.kind, func.count()).where(
            AuditEvent.case_id.in_(case_ids)).group_by(AuditEvent.kind)).all())
        assert fired.get("timer_fired") == RACES and "task_completed" not in fired
        assert s.scalar(select(func.count()).where(Timer.case_id.in_(case_ids),
                                                   Timer.status == "fired")) == RACES
    assert len(_notified(engine, "escalation")) == RACES
