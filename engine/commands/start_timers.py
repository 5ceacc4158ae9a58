"""Timer start events of deployed processes: scheduled per version, each firing starts a case.

Deploying a version schedules its timer start events (a Timer row with the version and no
case); deploying a newer version of the same key replaces the older version's schedule. A
cycle re-arms itself after each firing. Occurrences missed while nothing ran (every node
down) are not replayed one by one: the overdue one fires once, late, and the cycle carries
on from the next occurrence still in the future.
"""
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.models.calls import callees_at_start
from engine.runtime import workflow as runtime
from engine.case.opened import OpenCase
from engine.errors import ModelError
from engine.storage import Case, ProcessVersion, Timer


def schedule_start_timers(engine, session: Session, version: ProcessVersion) -> list[Timer]:
    """Replace the schedule of `version`'s process key by `version`'s timer start events."""
    others = select(ProcessVersion.id).where(ProcessVersion.process_model_id == version.process_model_id)
    session.execute(update(Timer).where(Timer.case_id.is_(None),
                                        Timer.process_version_id.in_(others),
                                        Timer.status.in_(("pending", "failed")))
                    .values(status="replaced"))
    bundle = engine.specs.get(session, version.id)
    workflow = runtime.new_workflow(bundle, engine.script_engine)
    try:
        found = runtime.start_timers(workflow, engine.script_engine, engine.now())
    except Exception as err:
        raise ModelError(f"A timer start event of '{bundle.process_key}' has an expression "
                         f"that cannot be evaluated: {err}") from err
    rows = [Timer(process_version_id=version.id, element_id=t.element_id, kind=t.kind,
                  expression=t.expression[:500], due_at=t.due_at, status="pending", attempts=0,
                  cycles_left=t.cycles)
            for t in found if t.cycles != 0]
    session.add_all(rows)
    session.flush()
    return rows


def fire_start_timer(engine, session: Session, row: Timer, node: str) -> int:
    """Start a case from the start timer `row` (locked, claimed by `node`) and re-arm its
    cycle; returns the new case's id. See engine.commands.timers.fire."""
    now = engine.now()
    version = session.get(ProcessVersion, row.process_version_id)
    case = Case(process_version_id=version.id, process_key=version.model.key,
                title=version.name or version.model.key, status="running",
                org_path="/", started_by=engine.system_actor.username,
                started_at=now, updated_at=now, state="", facts={},
                callees=callees_at_start(session, version.id)
                if engine.specs.get(session, version.id).pinned_calls else None)
    bundle = engine.specs.for_case(session, case)
    workflow = runtime.new_workflow(bundle, engine.script_engine)
    runtime.fire_start_event(workflow, row.element_id)
    with OpenCase(engine, session, case, engine.system_actor, workflow, new=True) as opened:
        opened.advance()
        opened.advance()  # a cycle start event completes on the refresh after its path opened
        row.status, row.fired_at = "fired", now
        opened.save()
        late = round((now - row.due_at).total_seconds(), 3)
        opened.record("case_started", version=version.version, timer_id=row.id,
                      started_by_timer=row.element_id)
        opened.record("timer_fired", row.element_id, timer_id=row.id,
                      due_at=row.due_at.isoformat(), late_seconds=late, node=node)
    _rearm(engine, session, row, now)
    return case.id


def _rearm(engine, session: Session, row: Timer, now) -> None:
    if row.kind != "cycle" or row.cycles_left in (None, 0, 1):
        return
    fresh = runtime.new_workflow(engine.specs.get(session, row.process_version_id), engine.script_engine)
    interval = next((t.interval for t in runtime.start_timers(fresh, engine.script_engine, now)
                     if t.element_id == row.element_id), None)
    if not interval or interval <= timedelta(0):
        return
    left = row.cycles_left - 1 if row.cycles_left > 0 else -1
    due = row.due_at + interval
    while due <= now and left != 0:  # missed occurrences are not replayed
        due += interval
        left = left - 1 if left > 0 else -1
    if left == 0:
        return
    session.add(Timer(process_version_id=row.process_version_id, element_id=row.element_id,
                      kind=row.kind, expression=row.expression, due_at=due, status="pending",
                      attempts=0, cycles_left=left))
