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
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import Conflict
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
    """Which of the timers due before an advance fired in it: those completed, and a cycle
    that fired and waits again with a later due time. One cancelled (its task finished
    first, another branch of an event-based gateway won) did not fire."""
    return [Fired(task, at, plan) for task, (at, plan) in due_before.items()
            if _has_fired(task, at)]


def _has_fired(task, due_at) -> bool:
    if task.state in (TaskState.WAITING, TaskState.CANCELLED):  # a cycle moves on as it fires
        return isinstance(runtime.timer_definition(task.task_spec), CycleTimerEventDefinition) \
            and runtime.timer_next(task) != due_at
    return runtime.timer_completed(task)


class Overtaken(Conflict):
    """A timer due before the command came fired first and closed the task it was for."""

    def __init__(self, message, case_id, deliver=False):
        super().__init__(message)
        self.case_id, self.deliver = case_id, deliver


def fire_overdue(opened) -> list[Fired]:
    """The clock decides a race (processes/README.md, "Deadlines"): before a command's own
    change, fire the timers that were already due when it loaded the case, as a scheduler
    on time would have, and save them with their events and reminders."""
    if not opened.due_timers:
        return []
    opened.advance()
    firings = fired(opened.due_timers)
    if firings:
        opened.save()  # marks their rows; the events and reminders come next
        opened.record_fired_timers()
        opened.path.clear()  # the timers' own events tell their path; the command's is its own
    return firings


def overdue(opened) -> bool:
    """Whether timers of the case were due when the command loaded it: a message waits for
    them to fire (a failing one is the scheduler's to retry, and must not cost the message
    its delivery attempts)."""
    return bool(opened.due_timers)


def overtaken(opened, task_id: str, task_name: str) -> Overtaken | None:
    """Fire what was due (`fire_overdue`); if that closed task `task_id`, the Conflict to
    give whoever meant to complete it, naming the timer, once the firing is committed."""
    firings = fire_overdue(opened)
    task = opened.workflow.get_task_from_id(UUID(task_id)) if firings else None
    if task is None or task.state == TaskState.READY:
        return None
    names = ", ".join(f"'{f.task.task_spec.bpmn_name or runtime.element_id(f.task)}' "
                      f"(due {f.due_at:%Y-%m-%d %H:%M:%S} UTC)" for f in firings)
    return Overtaken(f"Task '{task_name}' was closed by its deadline {names}, which passed "
                     f"before it was submitted; the case took the deadline's path.",
                     opened.case.id)


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
