"""Task commands: complete, claim, unclaim, reassign.

Each runs in one transaction (see engine.case.opened) and returns plain values, so a caller
never holds a session or a half-loaded case.
"""
from uuid import UUID

from sqlalchemy import update
from sqlalchemy.orm import undefer
from SpiffWorkflow.util.task import TaskState

from engine.case import fired_timers
from engine.case import rows as case_rows
from engine.case.failures import engine_errors
from engine.case.opened import lock_case_of_task, open_locked
from engine.commands.start import Started
from engine.errors import Conflict, Forbidden, InvalidData, NotFound
from engine.runtime import state as serialization
from engine.runtime import workflow as runtime
from engine.storage import Case, CaseTask

_TASKS = CaseTask.__table__


def _locked_task(session, task_id: str):
    """Lock the case of task `task_id`, then read the task: read after the lock, the row
    is as the last command on the case left it, so a task completed a moment ago by
    someone else shows as completed here."""
    if not task_id:
        raise NotFound("No task was named.")
    return lock_case_of_task(session, task_id), case_rows.task_row(session, task_id)


def _task_to_complete(session, task_id: str):
    """The locked case and its task, read in one statement (completing is the hot path).

    The task's state and assignee may be stale on PostgreSQL (see case_rows.lock_with_task):
    a refusal is checked again on a fresh read, the workflow's own state says whether the
    task is still ready, and the row's final update is conditional on it being open and
    not claimed by someone else (engine.case.writes).
    """
    if not task_id:
        raise NotFound("No task was named.")
    case, row = case_rows.lock_with_task(session, task_id)
    if case is None:
        raise NotFound(f"Task {task_id} does not exist.")
    return case, row


def _set_task_assignee(session, task_id: str, assignee) -> None:
    session.connection().execute(update(_TASKS).where(_TASKS.c.id == task_id).values(assignee=assignee))


def _check_open(row: CaseTask, actor, claiming=False) -> None:
    if row.state == "completed":
        raise Conflict(f"Task '{row.name}' ({row.id}) was already completed by "
                       f"{row.completed_by} at {row.completed_at:%Y-%m-%d %H:%M:%S} UTC.")
    if row.state != "ready":
        raise Conflict(f"Task '{row.name}' ({row.id}) is no longer open: the process "
                       f"{row.state} it at {row.completed_at:%Y-%m-%d %H:%M:%S} UTC.")
    if row.assignee and row.assignee != actor.username and not actor.is_system:
        raise Conflict(f"Task '{row.name}' ({row.id}) is claimed by {row.assignee}.")


def _authorise(actor, row: CaseTask) -> None:
    if not actor.may_work_on(row.lane, row.org_path, row.starter):
        if actor.sees_path(row.org_path) or actor.username == row.starter:
            raise Forbidden(f"'{actor.username}' may not work on task '{row.name}' "
                            f"(lane '{row.lane or '-'}').")
        raise NotFound(f"Task {row.id} does not exist.")


def complete_task(engine, actor, task_id: str, data=None) -> Started:
    """Complete a READY human task with `data`, checked against its form first.

    SpiffWorkflow itself would run a task that is only predicted; here the task must be
    READY in the stored workflow and its row open, or the caller gets a Conflict. A timer
    that fell due before this came fires first (engine.case.fired_timers.fire_overdue);
    when it closed the task, its firing is committed and the caller gets the Conflict
    (an `Overtaken`, whose `deliver` says the timer's path sent messages).
    """
    outcome = _complete_task(engine, actor, task_id, data)
    if isinstance(outcome, fired_timers.Overtaken):
        raise outcome
    return outcome


def _complete_task(engine, actor, task_id: str, data):
    if data is not None and not isinstance(data, dict):
        raise InvalidData("Task data must be a JSON object.")
    data = dict(data or {})
    with engine_errors(engine) as note, engine.db.transaction() as session:
        actor = engine.actors.resolve(session, actor)
        case, row = _task_to_complete(session, task_id)
        _authorise(actor, row)
        try:
            _check_open(row, actor)
        except Conflict:
            _check_open(case_rows.task_row(session, task_id), actor)
        _check_case_active(case)
        return run_completion(engine, session, note, actor, case, row, data)


def run_completion(engine, session, note, actor, case, row: CaseTask, data: dict, **detail) -> Started:
    """Complete task `row` of the locked, active `case` with `data` (the caller checked who
    may); `detail` goes into the `task_completed` event (a retry says so)."""
    case_id = note.case_id = case.id
    note.task_id, note.submitted_by, note.submitted = row.id, detail.get("submitted_by", actor.username), data
    with open_locked(engine, session, case, actor) as opened:
        late = fired_timers.overtaken(opened, row.id, row.name)
        if late is not None:
            late.deliver = opened.deliver
            return late  # returned, not raised: the timer's firing is committed
        task = opened.workflow.get_task_from_id(UUID(row.id))
        if task is None or task.state != TaskState.READY:
            _check_open(case_rows.task_row(session, row.id), actor)  # who finished it
            raise Conflict(f"Task '{row.name}' is not ready in case {case_id}.")
        if row.form_schema:
            data = engine.forms.validate(row.form_schema, data, task.data, session)
        before = serialization.dump_value(task.data)
        task.data.update(data)
        task.run()
        opened.path.append(runtime.element_id(task))
        opened.finished_by[row.id] = actor.username
        opened.advance()
        opened.save()
        after = serialization.dump_value(task.data)
        opened.record("task_completed", row.element_id, row.id, task=row.name, lane=row.lane,
                      submitted=serialization.dump_value(data), changes=diff(before, after), **detail)
    return Started(case_id, opened.case.status, tuple(t.id for t in opened.new_tasks),
                   opened.deliver)


def claim_task(engine, actor, task_id: str) -> None:
    _set_assignee(engine, actor, task_id, claim=True)


def unclaim_task(engine, actor, task_id: str) -> None:
    _set_assignee(engine, actor, task_id, claim=False)


def _set_assignee(engine, actor, task_id: str, claim: bool) -> None:
    with engine.db.transaction() as session:
        actor = engine.actors.resolve(session, actor)
        case, row = _locked_task(session, task_id)
        _authorise(actor, row)
        with open_locked(engine, session, case, actor) as opened:
            _check_open(row, actor)
            if not claim and row.assignee is None:
                return
            _set_task_assignee(session, row.id, actor.username if claim else None)
            opened.case.updated_at = engine.now()
            opened.record("task_claimed" if claim else "task_unclaimed", row.element_id, row.id,
                          task=row.name)


def reassign_task(engine, actor, task_id: str, assignee) -> None:
    """An organisation admin hands an open task to someone else (or back to the group)."""
    with engine.db.transaction() as session:
        case, row = _locked_task(session, task_id)
        if not actor.has_role("admin") or not actor.sees_path(row.org_path):
            raise Forbidden(f"'{actor.username}' may not reassign task '{row.name}'.")
        with open_locked(engine, session, case, actor) as opened:
            if row.state != "ready":
                _check_open(row, actor)
            previous = row.assignee
            _set_task_assignee(session, row.id, assignee)
            opened.record("task_reassigned", row.element_id, row.id, task=row.name,
                          previous=previous, assignee=assignee)


def _check_case_active(case: Case) -> None:
    if case.status == "suspended":
        raise Conflict(f"Case {case.id} is suspended; resume it first.")
    if case.status in ("terminated", "completed"):
        raise Conflict(f"Case {case.id} is {case.status}.")


def diff(before: dict, after: dict) -> dict:
    """Changed keys as {key: [before, after]} (None for a key that did not exist)."""
    keys = set(before) | set(after)
    return {k: [before.get(k), after.get(k)] for k in sorted(keys) if before.get(k) != after.get(k)}


def task_data(engine, session, row: CaseTask) -> dict:
    """The data a task's form sees (its choices come from it); read-only, no lock."""
    case = session.get(Case, row.case_id, options=[undefer(Case.state)])
    workflow = runtime.load(case.state, engine.specs.get(session, case.process_version_id),
                            engine.script_engine)
    task = workflow.get_task_from_id(UUID(row.id))
    return serialization.dump_value(task.data) if task is not None else {}
