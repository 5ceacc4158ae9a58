"""The timers a command fires, whichever command it is: each gets its row marked `fired`,
a `timer_fired` event in the case's history and the reminders it was set to send.

SpiffWorkflow fires every due timer whenever a workflow advances, so the scheduler is not
the only one firing them: resuming a suspended case fires what fell due meanwhile, and
completing a task or delivering a message may fire an overdue timer on another branch
before the scheduler's next tick (SpiffWorkflow may fire it while running the task).
`OpenCase` notes the timers due when it loads the case and before each advance, and at
save sees which of them fired, so every firing leaves the same trace.
"""
from dataclasses import dataclass
from datetime import datetime

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.people import notifications
from engine.runtime import workflow as runtime
from engine.storage import Case, Timer


@dataclass
class Fired:
    task: object
    due_at: datetime
    plan: object  # notifications.Plan or None
    row: Timer | None = None


def due(opened, now) -> dict:
    """{timer task: (due time, reminder plan)} of the workflow's timers due at `now`; the
    plans are made before firing, while the user task a timer sits on is still open."""
    found = {}
    for task in opened.workflow.get_tasks(state=TaskState.WAITING):
        at = runtime.timer_due(task)
        if at is not None and at <= now:
            found[task] = (at, notifications.plan_for_timer(opened.session, opened.case,
                                                            opened.workflow, task))
    return found


def fired(due_before: dict) -> list[Fired]:
    """Which of the timers due before an advance fired in it (a cycle fires and waits again
    with a later due time)."""
    return [Fired(task, at, plan) for task, (at, plan) in due_before.items()
            if task.state != TaskState.WAITING or runtime.timer_due(task) != at]


def mark(session: Session, case: Case, firings: list[Fired], now) -> None:
    """Mark each firing's pending row fired, locked against a scheduler that claimed it; a
    timer fired before it ever had a row (a suspended case's, say) gets one, fired."""
    ids = [str(f.task.id) for f in firings]
    rows = {r.task_id: r for r in session.scalars(
        select(Timer).where(Timer.case_id == case.id, Timer.status.in_(("pending", "failed")),
                            Timer.task_id.in_(ids)).with_for_update())}
    for firing in firings:
        row = rows.get(str(firing.task.id))
        if row is None:
            timer = runtime.waiting_timer(firing.task, firing.due_at)
            row = Timer(case_id=case.id, task_id=timer.task_id, element_id=timer.element_id,
                        kind=timer.kind, expression=timer.expression[:500], due_at=firing.due_at,
                        attempts=0)
            session.add(row)
        row.status, row.fired_at, row.due_at = "fired", now, firing.due_at
        firing.row = row
    session.flush()


def record(opened, firings: list[Fired], now, node=None) -> list:
    """The `timer_fired` events of `firings` (marked), and their reminders written."""
    events = []
    for firing in firings:
        row = firing.row
        detail = dict(timer_id=row.id, due_at=firing.due_at.isoformat(),
                      late_seconds=round((now - firing.due_at).total_seconds(), 3))
        if node:
            detail["node"] = node
        events.append(("timer_fired", row.element_id, row.task_id, detail))
        notifications.send_planned(opened.session, opened.engine, opened.case, row, firing.plan)
    return events
