"""Keep a case's query rows (open tasks, waiting timers, status, facts) in step with its state.

Rows are diffed against what the workflow now holds, not rewritten wholesale: a command that
completes one task touches one task row, not every row the case ever had.
"""
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from engine.runtime import workflow as runtime
from engine.people.identity import SYSTEM, lane_role
from engine.storage import Case, CaseTask, Timer

FACT_LIMIT = 40
FACT_MAX_CHARS = 200


@dataclass(frozen=True)
class OpenedTask:
    """A human task this command opened, as the caller and the audit event name it."""

    id: str
    element_id: str
    name: str
    lane: str | None


def ready_tasks(workflow) -> dict:
    """The human tasks ready now, by id: after every save, exactly the case's open rows."""
    return {str(task.id): task for task in runtime.human_tasks(workflow)}


def sync_tasks(session: Session, case: Case, ready: dict, now, writes, finished_by=None,
               open_before=None) -> list[OpenedTask]:
    """Queue on `writes` (engine.case.writes) rows for the newly `ready` human tasks and the
    closing of rows whose task is no longer ready. Returns the new tasks.

    `open_before` is the set of task ids that were ready when the case was loaded, which
    every save keeps equal to the open rows; with it no row is read back. Without it (a
    workflow built or migrated in this command) the open rows are read.
    `finished_by` maps a task id to the person who completed it in this command; any other
    open row that disappeared was cancelled by the process (a boundary event, a terminate).
    """
    if open_before is None:
        open_before = set(session.connection().scalars(_OPEN_ROWS, {"case": case.id}))
    finished_by = finished_by or {}
    for task_id in open_before:
        if task_id in ready:
            continue
        if task_id in finished_by:
            by = finished_by[task_id]
            writes.finish.append({"task": task_id, "by": by, "at": now, "override": by == SYSTEM})
        else:
            writes.cancel.append(task_id)
            writes.cancel_at = now
    rows = [_task_row(case, task, now) for task_id, task in ready.items() if task_id not in open_before]
    writes.tasks.extend(rows)
    return [OpenedTask(r["id"], r["element_id"], r["name"], r["lane"]) for r in rows]


_TASKS = CaseTask.__table__
_OPEN_ROWS = select(_TASKS.c.id).where(_TASKS.c.case_id == bindparam("case"),
                                      _TASKS.c.state == "ready")


def _task_row(case: Case, task, now) -> dict:
    spec = task.task_spec
    extensions = getattr(spec, "extensions", None) or {}
    properties = extensions.get("properties") or {}
    return dict(
        id=str(task.id), case_id=case.id, process_key=case.process_key,
        element_id=runtime.element_id(task), name=spec.bpmn_name or runtime.element_id(task),
        lane=lane_role(spec.lane), org_path=case.org_path,
        form_schema=properties.get("formJsonSchemaFilename"),
        form_ui_schema=properties.get("formUiSchemaFilename"),
        instructions=extensions.get("instructionsForEndUser"),
        state="ready", starter=case.started_by, assignee=None, created_at=now,
        due_at=runtime.boundary_due(task), completed_at=None, completed_by=None)


def sync_timers(session: Session, case: Case, workflow) -> None:
    """Make the case's pending timer rows match the timers its workflow waits on.

    A row whose timer the workflow no longer waits on is kept for history (incidents and
    notifications point at it): `fired` when its task completed, else `cancelled`.
    """
    waiting = {t.task_id: t for t in runtime.waiting_timers(workflow)}
    rows = session.scalars(select(Timer).where(Timer.case_id == case.id,
                                               Timer.status.in_(("pending", "failed")))).all()
    for row in rows:
        timer = waiting.pop(row.task_id, None)
        if timer is None:
            task = workflow.get_task_from_id(UUID(row.task_id)) if row.task_id else None
            fired = task is not None and runtime.timer_completed(task)
            row.status = "fired" if fired else "cancelled"
            row.fired_at = case.updated_at if fired else None
        elif row.due_at != timer.due_at:
            row.due_at, row.status, row.attempts, row.last_error = timer.due_at, "pending", 0, None
            row.retry_at = row.claimed_by = row.claimed_at = None
    for timer in waiting.values():
        session.add(Timer(case_id=case.id, task_id=timer.task_id, element_id=timer.element_id,
                          kind=timer.kind, expression=timer.expression[:500],
                          due_at=timer.due_at, status="pending", attempts=0))


def drop_all_timers(session: Session, case: Case) -> None:
    session.execute(update(Timer).where(Timer.case_id == case.id,
                                        Timer.status.in_(("pending", "failed")))
                    .values(status="cancelled"))


def case_status(workflow) -> str:
    return "completed" if workflow.is_completed() else "running"


def facts(workflow) -> dict:
    """Top-level scalar case variables, small enough to filter and show in lists."""
    task = workflow.last_task
    data = task.data if task is not None else workflow.data
    out = {}
    for key, value in data.items():
        if len(out) >= FACT_LIMIT:
            break
        if isinstance(value, bool | int | float) or (isinstance(value, str) and len(value) <= FACT_MAX_CHARS):
            out[key] = value
    return out
