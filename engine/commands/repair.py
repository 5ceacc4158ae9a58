"""Repairing a case a script error stopped: edit its data, retry the failed completion.

When completing a task fails in a script after it, the whole command rolls back: the task
stays open and the case notes the error (engine.case.failures). If the script failed on
the case's data (a variable its parent never passed), submitting again fails again. An
administrator of the case's branch then corrects the data (`edit_case_data`) and retries
the completion with what was submitted (`retry_case`), or terminates the case
(engine.commands.lifecycle). Both commands are audited with a reason.
"""
import hashlib
import json
import keyword
from dataclasses import dataclass

from jsonschema import Draft202012Validator, FormatChecker

from sqlalchemy import select
from SpiffWorkflow.util.task import TaskState

from engine.case import rows as case_rows
from engine.case.failures import engine_errors
from engine.case.fired_timers import Overtaken
from engine.case.opened import open_case
from engine.commands.tasks import diff, run_completion
from engine.errors import Conflict, Forbidden, InvalidData, NotFound
from engine.people.identity import ADMIN
from engine.runtime import state as serialization, values
from engine.runtime import workflow as runtime
from engine.storage import AuditEvent, Case

#: Tasks whose data the next steps inherit: the case's data lives on them.
FRONTIER = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
MAX_REASON = 1000


def _guard(session, actor, case_id: int, what: str) -> Case:
    case = session.get(Case, case_id)
    if case is None or not actor.sees_path(case.org_path):
        raise NotFound(f"Case {case_id} does not exist.")
    if actor.is_auditor_only or not (actor.is_system or ADMIN in actor.roles):
        raise Forbidden(f"Only an administrator may {what} case {case_id}.")
    return case


def _reason(reason) -> str:
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if not reason:
        raise InvalidData("Say why (a reason is required and kept in the case's history).",
                          {"reason": ["is required"]})
    if len(reason) > MAX_REASON:
        raise InvalidData(f"The reason is longer than {MAX_REASON} characters.", {"reason": ["is too long"]})
    return reason


def _check_names(names) -> None:
    bad = [n for n in names if not isinstance(n, str) or not n.isidentifier() or n.startswith("_")
           or keyword.iskeyword(n)]
    if bad:
        raise InvalidData(f"Not a variable name: {', '.join(map(str, bad))} (letters, digits and _, "
                          "not starting with a digit or _).", {"name": ["is not a variable name"]})


def frontier(workflow) -> list:
    """The unfinished tasks holding the case's data (the subprocesses' included)."""
    return [task for wf in (workflow, *workflow.subprocesses.values()) for task in wf.tasks.values()
            if task.has_state(FRONTIER)]


def current_data(workflow) -> dict:
    """The case's data as the next step sees it: the frontier tasks' data, merged."""
    data = {}
    for task in frontier(workflow):
        data.update(task.data)
    return serialization.dump_value({k: v for k, v in data.items() if not k.startswith("_")})


def digest(data: dict) -> str:
    """A short fingerprint of a case's data: an edit shown on one state is not saved on another."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def edit_case_data(engine, actor, case_id: int, changes: dict, reason: str, remove=(), base=None) -> dict:
    """Set the variables in `changes` and delete those in `remove` on a running or suspended
    case, without running anything. Returns the changes as {name: [before, after]}. With
    `base` (a `digest`), refused if the data is no longer what the editor saw."""
    reason = _reason(reason)
    if not isinstance(changes, dict) or not isinstance(remove, (list, tuple, set)):
        raise InvalidData("Changes must be a JSON object of variable names and values.")
    _check_names([*changes, *remove])
    values.check_data(changes, engine.settings)
    if not changes and not remove:
        raise InvalidData("Nothing to change.")
    changes = serialization.dump_value(changes)
    with engine.db.transaction() as session:
        actor = engine.actors.resolve(session, actor)
        _guard(session, actor, case_id, "edit the data of")
        with open_case(engine, session, case_id, actor) as opened:
            case = opened.case
            check_against_forms(engine, session, case.process_version_id, changes)
            if case.status not in ("running", "suspended"):
                raise Conflict(f"Case {case_id} is {case.status}; its data can no longer change.")
            tasks = frontier(opened.workflow)
            if not tasks:
                raise Conflict(f"Case {case_id} has no open step whose data could change.")
            before = current_data(opened.workflow)
            if base is not None and digest(before) != base:
                raise Conflict(f"The data of case {case_id} changed since you looked at it; "
                               "look at the difference again.")
            for task in tasks:
                task.data.update(changes)
                for name in remove:
                    task.data.pop(name, None)
            changed = diff(before, current_data(opened.workflow))
            error = case.last_error, case.last_error_element
            opened.save()
            case.last_error, case.last_error_element = error  # a retry is still to come
            opened.record("case_data_edited", reason=reason, changes=changed)
        return changed


def failed_completion(session, case: Case):
    """The case's last error event, when it is a task's completion that failed and is still
    the case's current error; else None."""
    if not case.last_error:
        return None
    event = session.scalar(select(AuditEvent).where(AuditEvent.case_id == case.id, AuditEvent.kind == "error")
                           .order_by(AuditEvent.seq.desc()).limit(1))
    if event is None or not event.task_id or "submitted" not in (event.detail or {}):
        return None
    return event


def retry_case(engine, actor, case_id: int, reason: str):
    """Complete again the task whose completion failed, with the data submitted then (the
    form is checked again, against the case's data as it is now)."""
    reason = _reason(reason)
    with engine_errors(engine) as note, engine.db.transaction() as session:
        actor = engine.actors.resolve(session, actor)
        _guard(session, actor, case_id, "retry")
        case = case_rows.lock(session, case_id)
        if case.status != "running":
            raise Conflict(f"Case {case_id} is {case.status}; only a running case can be retried.")
        event = failed_completion(session, case)
        if event is None:
            raise Conflict(f"Case {case_id} has no failed task completion to retry.")
        row = case_rows.task_row(session, event.task_id)
        if row is None or row.state != "ready":
            raise Conflict(f"The task whose completion failed in case {case_id} is no longer open.")
        outcome = run_completion(engine, session, note, actor, case, row, dict(event.detail["submitted"]),
                                 retried=True, reason=reason, submitted_by=event.detail.get("submitted_by"))
    if isinstance(outcome, Overtaken):  # a deadline closed the task first: its firing is committed
        raise outcome
    return outcome


def data_of_case(engine, session, case: Case) -> dict:
    """The data of a case the caller may see (read-only, no lock)."""
    state = session.scalar(select(Case.state).where(Case.id == case.id))
    workflow = runtime.load(state, engine.specs.for_case(session, case), engine.script_engine)
    return current_data(workflow)


@dataclass(frozen=True)
class Repair:
    """What the case page offers an administrator: the data, and the completion to retry."""

    data: dict
    task_name: str | None = None  # the task whose completion failed, when it can be retried
    submitted_by: str | None = None
    submitted: dict | None = None


def repair_view(engine, session, actor, case: Case) -> Repair | None:
    """None unless `actor` may repair `case` (an administrator; the case not ended)."""
    if actor.is_auditor_only or not (actor.is_system or ADMIN in actor.roles) or \
            case.status not in ("running", "suspended"):
        return None
    event = failed_completion(session, case) if case.status == "running" else None
    row = case_rows.task_row(session, event.task_id) if event is not None else None
    if row is None or row.state != "ready":
        return Repair(data_of_case(engine, session, case))
    return Repair(data_of_case(engine, session, case), row.name, event.detail.get("submitted_by"),
                  event.detail.get("submitted"))



def check_against_forms(engine, session, version_id: int, changes: dict) -> None:
    """Each changed value must fit the property of that name in every form of the case's
    model version that has one; InvalidData names the key and what is wrong."""
    errors: dict[str, list[str]] = {}
    for form in engine.specs.get(session, version_id).form_names:
        if not engine.forms.exists(form):
            continue
        properties = (engine.forms.load(form) or {}).get("properties") or {}
        for key, value in changes.items():
            if key not in properties or value is None:
                continue
            validator = Draft202012Validator(properties[key], format_checker=FormatChecker())
            for error in validator.iter_errors(value):
                where = ".".join(str(p) for p in error.absolute_path)
                message = f"{key}{'.' + where if where else ''}: {error.message} (form {form})"
                if message not in errors.get(key, []):
                    errors.setdefault(key, []).append(message)
    if errors:
        raise InvalidData("The new data does not fit the forms of this process: "
                          + "; ".join(m for ms in errors.values() for m in ms), errors)


@dataclass(frozen=True)
class DataEdit:
    """A whole-data edit, before it is saved: what changes and what goes."""

    changes: dict  # name -> new value
    remove: list
    diff: dict  # name -> [before, after]
    base: str  # the digest of the data compared against


def plan_data_edit(engine, actor, case_id: int, new_data) -> DataEdit:
    """Compare the data an administrator typed (the whole object) with the case's, and check
    it against the forms; nothing is written. The page shows `diff` before saving."""
    if not isinstance(new_data, dict):
        raise InvalidData("The case's data must be a JSON object of variable names and values.",
                          {"data": ["is not a JSON object"]})
    _check_names(list(new_data))
    new_data = serialization.dump_value(new_data)
    with engine.db.read() as session:
        actor = engine.actors.resolve(session, actor)
        case = _guard(session, actor, case_id, "edit the data of")
        if case.status not in ("running", "suspended"):
            raise Conflict(f"Case {case_id} is {case.status}; its data can no longer change.")
        before = data_of_case(engine, session, case)
        changes = {k: v for k, v in new_data.items() if k not in before or before[k] != v}
        check_against_forms(engine, session, case.process_version_id, changes)
    remove = sorted(k for k in before if k not in new_data)
    return DataEdit(changes, remove, diff(before, {k: v for k, v in new_data.items()}), digest(before))
