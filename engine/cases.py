"""Case commands: start, claim, unclaim, complete, suspend, resume, terminate.

Each runs in one transaction (see engine.casework) and returns plain values, so a caller
never holds a session or a half-loaded case.
"""
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import update
from sqlalchemy.orm import undefer
from SpiffWorkflow.util.task import TaskState

from . import deploy as deployment
from . import case_rows, links, runtime, serialization
from .casework import OpenCase, engine_errors, lock_case_of_task, open_locked
from .errors import Conflict, Forbidden, InvalidData, NotFound
from .identity import organisation_by_code
from .storage import Case, CaseTask

_TASKS = CaseTask.__table__


@dataclass(frozen=True)
class Started:
    case_id: int
    status: str
    tasks: tuple  # ids of the human tasks now open
    deliver: bool = False  # messages between linked cases wait to be delivered


def start_case(ctx, actor, process_key: str, data=None, business_key=None, organisation=None,
               version=None, parent_case_id=None, title=None) -> Started:
    if data is not None and not isinstance(data, dict):
        raise InvalidData("Initial case data must be a JSON object.")
    data = dict(data or {})
    with engine_errors(ctx), ctx.db.transaction() as session:
        actor = ctx.actors.resolve(session, actor)
        if actor.is_auditor_only:
            raise Forbidden("Auditors read cases; they do not start them.")
        pv = deployment.version_to_start(session, process_key, version, reserve_case_id=True)
        org = _case_organisation(session, actor, organisation)
        if org is not None and not actor.is_system and not actor.sees_path(org.path):
            raise Forbidden(f"'{actor.username}' may not start a case for organisation '{org.code}'.")
        start_roles = ctx.specs.get(session, pv.id).start_roles
        if not actor.may_start(start_roles, org.path if org is not None else ""):
            raise Forbidden(f"'{actor.username}' may not start '{process_key}': its start event is "
                            f"in the lane of {', '.join(sorted(start_roles))}.")
        opened = open_new_case(ctx, session, actor, pv, data, org, business_key=business_key,
                               parent_case_id=parent_case_id, title=title, case_id=pv.case_id)
        return Started(opened.case.id, opened.case.status, tuple(t.id for t in opened.new_tasks),
                       links.delivery_wanted(session))


@dataclass(frozen=True)
class _Home:
    id: int
    code: str
    path: str


def _case_organisation(session, actor, code):
    """The organisation a new case belongs to: `code`, or the starter's own (known from
    their memberships, no query)."""
    if code is None and actor.home is not None:
        return _Home(*actor.home)
    code = code or actor.organisation_code
    return organisation_by_code(session, code) if code else None


def open_new_case(ctx, session, actor, pv, data: dict, org, business_key=None,
                  parent_case_id=None, title=None, case_id=None) -> OpenCase:
    """Create, run and save a new case of version `pv` inside the caller's transaction.

    Shared by `start_case` and by linked child cases (engine.links), so both are one code
    path. `case_id`, reserved beforehand, lets the case row go out with the command's
    other writes (see OpenCase.save).
    """
    case = Case(id=case_id, lock_version=1, audit_seq=0, audit_head="", process_version_id=pv.id, process_key=pv.key, business_key=business_key,
                title=title or business_key or pv.name or pv.key, status="running",
                organisation_id=org.id if org else None, org_path=org.path if org else "/",
                parent_case_id=parent_case_id, started_by=actor.username,
                started_at=ctx.now(), updated_at=ctx.now(), state="", facts={})
    bundle = ctx.specs.get(session, pv.id)
    workflow = runtime.new_workflow(bundle, ctx.script_engine, data)
    opened = OpenCase(ctx, session, case, actor, workflow, new=True)
    opened.advance()
    opened.save()
    detail = {"data": serialization.dump_value(data), "version": pv.version,
              "business_key": business_key, "organisation": org.code if org else None}
    if parent_case_id is not None:
        detail["parent_case_id"] = parent_case_id
    opened.record("case_started", **detail)
    return opened


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
    not claimed by someone else (engine.case_writes).
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


def complete_task(ctx, actor, task_id: str, data=None) -> Started:
    """Complete a READY human task with `data`, checked against its form first.

    SpiffWorkflow itself would run a task that is only predicted; here the task must be
    READY in the stored workflow and its row open, or the caller gets a Conflict.
    """
    if data is not None and not isinstance(data, dict):
        raise InvalidData("Task data must be a JSON object.")
    data = dict(data or {})
    with engine_errors(ctx) as note, ctx.db.transaction() as session:
        actor = ctx.actors.resolve(session, actor)
        case, row = _task_to_complete(session, task_id)
        _authorise(actor, row)
        try:
            _check_open(row, actor)
        except Conflict:
            _check_open(case_rows.task_row(session, task_id), actor)
        _check_case_active(case)
        case_id = note.case_id = case.id
        with open_locked(ctx, session, case, actor) as opened:
            task = opened.workflow.get_task_from_id(UUID(row.id))
            if task is None or task.state != TaskState.READY:
                _check_open(case_rows.task_row(session, task_id), actor)  # who finished it
                raise Conflict(f"Task '{row.name}' is not ready in case {case_id}.")
            if row.form_schema:
                ctx.forms.validate(row.form_schema, data, task.data)
            before = serialization.dump_value(task.data)
            task.data.update(data)
            task.run()
            opened.path.append(runtime.element_id(task))
            opened.finished_by[row.id] = actor.username
            opened.advance()
            opened.save()
            after = serialization.dump_value(task.data)
        opened.record("task_completed", row.element_id, row.id, task=row.name, lane=row.lane,
                      submitted=serialization.dump_value(data), changes=diff(before, after))
        return Started(case_id, opened.case.status, tuple(t.id for t in opened.new_tasks),
                       links.delivery_wanted(session))


def claim_task(ctx, actor, task_id: str) -> None:
    _set_assignee(ctx, actor, task_id, claim=True)


def unclaim_task(ctx, actor, task_id: str) -> None:
    _set_assignee(ctx, actor, task_id, claim=False)


def _set_assignee(ctx, actor, task_id: str, claim: bool) -> None:
    with ctx.db.transaction() as session:
        actor = ctx.actors.resolve(session, actor)
        case, row = _locked_task(session, task_id)
        _authorise(actor, row)
        with open_locked(ctx, session, case, actor) as opened:
            _check_open(row, actor)
            if not claim and row.assignee is None:
                return
            _set_task_assignee(session, row.id, actor.username if claim else None)
            opened.case.updated_at = ctx.now()
            opened.record("task_claimed" if claim else "task_unclaimed", row.element_id, row.id,
                          task=row.name)


def reassign_task(ctx, actor, task_id: str, assignee) -> None:
    """An organisation admin hands an open task to someone else (or back to the group)."""
    with ctx.db.transaction() as session:
        case, row = _locked_task(session, task_id)
        if not actor.has_role("admin") or not actor.sees_path(row.org_path):
            raise Forbidden(f"'{actor.username}' may not reassign task '{row.name}'.")
        with open_locked(ctx, session, case, actor) as opened:
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


def task_data(ctx, session, row: CaseTask) -> dict:
    """The data a task's form sees (its choices come from it); read-only, no lock."""
    case = session.get(Case, row.case_id, options=[undefer(Case.state)])
    workflow = runtime.load(case.state, ctx.specs.get(session, case.process_version_id),
                            ctx.script_engine)
    task = workflow.get_task_from_id(UUID(row.id))
    return serialization.dump_value(task.data) if task is not None else {}
