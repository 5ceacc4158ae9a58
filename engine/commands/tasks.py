"""Task commands: complete, claim, unclaim, reassign.

Each runs in one transaction (see engine.case.opened) and returns plain values, so a caller
never holds a session or a half-loaded case.
"""
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import update
from sqlalchemy.orm import undefer
from SpiffWorkflow.util.task import TaskState

from engine.case import fired_timers
from engine.case import rows as case_rows
from engine.case.failures import engine_errors
from engine.case.opened import lock_case_of_task, open_locked
from engine.commands import attachments, drafts
from engine.commands.start import Started
from engine.errors import Conflict, Forbidden, InvalidData, LiandongError, NotFound
from engine.reading import inbox as queries
from engine.runtime import state as serialization, values
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


def complete_task(engine, actor, task_id: str, data=None, uploads=()) -> Started:
    """Complete a READY human task with `data`, checked against its form first.

    SpiffWorkflow itself would run a task that is only predicted; here the task must be
    READY in the stored workflow and its row open, or the caller gets a Conflict. A timer
    that fell due before this came fires first (engine.case.fired_timers.fire_overdue);
    when it closed the task, its firing is committed and the caller gets the Conflict
    (an `Overtaken`, whose `deliver` says the timer's path sent messages).
    `uploads` (attachments.Upload, staged beforehand) are attached to the case and put in
    `data` at their paths, and everyone's drafts of the task are discarded, in the same
    transaction: a completion that fails leaves no file, no audit event and no draft change.
    """
    outcome = _complete_task(engine, actor, task_id, data, uploads)
    if isinstance(outcome, fired_timers.Overtaken):
        raise outcome
    return outcome


def _complete_task(engine, actor, task_id: str, data, uploads):
    if data is not None and not isinstance(data, dict):
        raise InvalidData("Task data must be a JSON object.")
    data = dict(data or {})
    values.check_data(data, engine.settings)
    with engine_errors(engine) as note, engine.db.transaction() as session:
        actor = engine.actors.resolve(session, actor)
        case, row = _task_to_complete(session, task_id)
        _authorise(actor, row)
        try:
            _check_open(row, actor)
        except Conflict:
            _check_open(case_rows.task_row(session, task_id), actor)
        _check_case_active(case.id, case.status)
        return run_completion(engine, session, note, actor, case, row, data, uploads)


def run_completion(engine, session, note, actor, case, row: CaseTask, data: dict, uploads=(),
                   **detail) -> Started:
    """Complete task `row` of the locked, active `case` with `data` (the caller checked who
    may), attaching `uploads` and discarding the task's drafts in the same transaction;
    `detail` goes into the `task_completed` event (a retry says so)."""
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
        _attach_uploads(engine, session, opened, actor, row, data, uploads)
        if row.form_schema:
            data = engine.forms.validate(row.form_schema, data, task.data, session,
                                         version=engine.forms.scope(case))
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
    drafts.discard_task_drafts(session, row.id)
    return Started(case_id, opened.case.status, tuple(t.id for t in opened.new_tasks),
                   opened.deliver)


def _attach_uploads(engine, session, opened, actor, row, data: dict, uploads) -> None:
    for upload in uploads:
        file_id, detail = attachments.insert(session, engine, actor, row.case_id, row.id, upload.staged)
        opened.record("file_attached", None, row.id, **detail)
        attachments.place(data, upload.path, f"file:{file_id}")


@dataclass(frozen=True)
class Refusal:
    """Why a person may not work on a task now: `reason` is one of lane (not theirs),
    closed (completed or cancelled), claimed (by someone else) or case (the case is not
    running); `error` is what the engine raises for it."""

    reason: str
    error: LiandongError


def refusal(actor, row: CaseTask, case_status: str) -> Refusal | None:
    """The engine's own checks on completing a task, asked ahead (a page shows the form
    only when this is None)."""
    try:
        _authorise(actor, row)
    except (Forbidden, NotFound) as err:
        return Refusal("lane", err)
    try:
        _check_open(row, actor)
    except Conflict as err:
        return Refusal("claimed" if row.state == "ready" else "closed", err)
    try:
        _check_case_active(row.case_id, case_status)
    except Conflict as err:
        return Refusal("case", err)
    return None


def may_work(engine, actor, task_id: str) -> Refusal | None:
    """`refusal` for a task by id; a task the person may not see is refused as not found."""
    with engine.db.read() as session:
        actor = engine.actors.resolve(session, actor)
        row = queries.task_for(session, actor, task_id)
        if row is None:
            return Refusal("lane", NotFound(f"Task {task_id} does not exist."))
        return refusal(actor, row, session.get(Case, row.case_id).status)


def save_draft(engine, actor, task_id: str, data) -> None:
    """Keep a person's half-done form of a task they may work on (one transaction)."""
    if isinstance(data, dict):
        values.check_data(data, engine.settings)
    with engine.db.transaction() as session:
        actor = engine.actors.resolve(session, actor)
        row = queries.task_for(session, actor, task_id)
        if row is None:
            raise NotFound(f"Task {task_id} does not exist.")
        refused = refusal(actor, row, session.get(Case, row.case_id).status)
        if refused is not None:
            raise refused.error
        drafts.save_draft(session, actor.username, task_id, data, engine.now())


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
            _check_case_active(case.id, opened.case.status)
            _check_open(row, actor)
            if not claim and row.assignee is None:
                return
            _set_task_assignee(session, row.id, actor.username if claim else None)
            opened.case.updated_at = engine.now()
            opened.record("task_claimed" if claim else "task_unclaimed", row.element_id, row.id,
                          task=row.name)


def reassign_task(engine, actor, task_id: str, assignee, reason: str = "") -> None:
    """An administrator hands an open task to someone who holds its lane's role on the
    case's branch (or back to the group, `assignee` None); anyone else is refused."""
    with engine.db.transaction() as session:
        actor = engine.actors.resolve(session, actor)
        case, row = _locked_task(session, task_id)
        if row is None:
            raise NotFound(f"Task {task_id} does not exist.")
        if actor.is_auditor_only or not actor.has_role("admin") or not actor.sees_path(row.org_path):
            raise Forbidden(f"'{actor.username}' may not reassign task '{row.name}'.")
        if assignee:
            try:
                person = engine.actors.resolve(session, assignee)
            except NotFound:
                raise InvalidData(f"No person named '{assignee}'.", {"assignee": ["unknown person"]}) from None
            if not person.may_work_on(row.lane, row.org_path, row.starter):
                raise InvalidData(f"'{assignee}' does not hold the role '{row.lane or '-'}' of task "
                                  f"'{row.name}' on this case's organisation.",
                                  {"assignee": ["does not hold the task's role"]})
        with open_locked(engine, session, case, actor) as opened:
            _check_case_active(case.id, opened.case.status)
            if row.state != "ready":
                _check_open(row, actor)
            previous = row.assignee
            _set_task_assignee(session, row.id, assignee or None)
            detail = dict(task=row.name, previous=previous, assignee=assignee or None)
            if reason:
                detail["reason"] = reason
            opened.record("task_reassigned", row.element_id, row.id, **detail)


def _check_case_active(case_id: int, status: str) -> None:
    if status == "suspended":
        raise Conflict(f"Case {case_id} is suspended; resume it first.")
    if status in ("terminated", "completed"):
        raise Conflict(f"Case {case_id} is {status}.")


def diff(before: dict, after: dict) -> dict:
    """Changed keys as {key: [before, after]} (None for a key that did not exist)."""
    keys = set(before) | set(after)
    return {k: [before.get(k), after.get(k)] for k in sorted(keys) if before.get(k) != after.get(k)}


def task_data(engine, session, row: CaseTask) -> dict:
    """The data a task's form sees (its choices come from it); read-only, no lock."""
    case = session.get(Case, row.case_id, options=[undefer(Case.state)])
    workflow = runtime.load(case.state, engine.specs.for_case(session, case),
                            engine.script_engine)
    task = workflow.get_task_from_id(UUID(row.id))
    return serialization.dump_value(task.data) if task is not None else {}
