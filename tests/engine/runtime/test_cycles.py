"""Timer cycles within bounds (engine/runtime/cycles.py): deploy refuses a cycle that would
fire too often or too many times, naming the element and the line; a cycle that fell far
behind fires a bounded number of times per command, the rest at the next ticks."""
import time
from datetime import UTC, timedelta
from xml.sax.saxutils import escape

import pytest
from sqlalchemy import func, select

from engine import ModelError
from engine.storage import AuditEvent, Timer
from tests.conftest import START, bpmn


def cycle_model(cycle: str) -> dict[str, bytes]:
    xml = bpmn("sandbox/cycle.bpmn")["cycle.bpmn"].decode().replace("CYCLE", escape(cycle))
    return {"cycle.bpmn": xml.encode()}


def _fired(engine, case_id) -> int:
    with engine.db.read() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.case_id == case_id, AuditEvent.kind == "timer_fired"))


@pytest.mark.parametrize("cycle, why", [
    ("R2000/PT0S", "shorter than the minimum of 60 s"),
    ("R5/PT10S", "shorter than the minimum of 60 s"),
    ("R/PT1S", "shorter than the minimum of 60 s"),
    ("R100000/PT1M", "more than the limit of 10,000"),
    ("'R2000/PT0S'", "shorter than the minimum of 60 s"),
])
def test_deploy_refuses_a_cycle_out_of_bounds(engine, cycle, why):
    with pytest.raises(ModelError) as refused:
        engine.deploy(cycle_model(cycle))
    [problem] = [p for p in refused.value.problems if p.rule == "timer-expression"]
    assert why in problem.message and problem.element_id == "Tick" and problem.line == 10


@pytest.mark.parametrize("cycle", ["R3/PT1H", "R/P1D", "R/PT1M", "R10000/PT1M"])
def test_deploy_accepts_cycles_within_bounds_and_unbounded_repetition(engine, cycle):
    key, version, created, _warnings = engine.deploy(cycle_model(cycle))
    assert key == "sandbox_cycle" and created


def test_a_cycle_computed_at_run_time_is_held_to_the_same_limits(engine):
    engine.deploy(cycle_model("every"))
    with pytest.raises(Exception) as failed:
        engine.start_case("sandbox_cycle", data={"every": "R50/PT1S"})
    assert "shorter than the minimum" in str(failed.value)


def test_a_cycle_far_behind_fires_a_bounded_number_of_times_per_command(engine, clock):
    engine.deploy(cycle_model("R/PT1M"))
    case_id = engine.start_case("sandbox_cycle", data={}).case_id
    clock.advance(timedelta(days=70))  # 100,800 minutes behind
    began = time.monotonic()
    engine.fire_due_timers()
    assert time.monotonic() - began < 5
    assert _fired(engine, case_id) >= 1
    first = _fired(engine, case_id)
    engine.fire_due_timers()  # what was left is still due: the next tick goes on
    assert _fired(engine, case_id) > first


def test_the_per_command_bound_counts_fires(engine, clock, settings):
    """With a bound of 3, a cycle 100 intervals behind advances 3 intervals per tick."""
    from engine import Engine
    bounded = Engine(settings.with_(timer_cycle_fires_per_command=3), clock)
    try:
        bounded.deploy(cycle_model("R/PT1M"))
        case_id = bounded.start_case("sandbox_cycle", data={}).case_id
        clock.advance(timedelta(minutes=101))
        bounded.fire_due_timers()
        assert _fired(bounded, case_id) == 1  # one command: one event, the cycle went 3 rounds
        due = _next_due(bounded, case_id)
        assert due == START + timedelta(minutes=4)
        bounded.fire_due_timers()
        assert _next_due(bounded, case_id) == START + timedelta(minutes=7)
    finally:
        bounded.close()


def _next_due(engine, case_id):
    with engine.db.read() as session:
        rows = list(session.scalars(select(Timer).where(Timer.case_id == case_id,
                                                        Timer.status == "pending")))
    due = min(r.due_at for r in rows)
    return due if due.tzinfo else due.replace(tzinfo=UTC)

