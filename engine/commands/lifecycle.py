"""Suspend, resume and terminate a case: an administrator's commands, each with a reason
kept in the case's history.

A suspended case takes no step: its tasks cannot be completed or claimed, its messages
wait, and its timers are set aside (their rows cancelled). Resuming advances the workflow,
so a timer that fell due while the case was suspended fires then, once, with its
`timer_fired` event after the `case_resumed` one's command.
"""
from sqlalchemy import select

from engine.case.failures import engine_errors
from engine.case.opened import open_case
from engine.case.projection import drop_all_timers
from engine.errors import Conflict, Forbidden, InvalidData, NotFound
from engine.people.identity import ADMIN
from engine.storage import Case, CaseTask

MAX_REASON = 1000


def is_operator(actor) -> bool:
    """An administrator (or the system): who runs cases by hand."""
    return not actor.is_auditor_only and (actor.is_system or ADMIN in actor.roles)


def require_operator(actor, doing: str) -> None:
    if not is_operator(actor):
        raise Forbidden(f"Only an administrator may {doing}.")


def require_reason(reason) -> str:
    """The reason, stripped; InvalidData when it is missing or too long."""
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason:
        raise InvalidData("Say why (a reason is required and kept in the case's history).",
                          {"reason": ["is required"]})
    if len(reason) > MAX_REASON:
        raise InvalidData(f"The reason is longer than {MAX_REASON} characters.",
                          {"reason": ["is too long"]})
    return reason


def _guard(session, case_id, actor, doing: str) -> None:
    case = session.get(Case, case_id)
    if case is None or not actor.sees_path(case.org_path):
        raise NotFound(f"Case {case_id} does not exist.")
    require_operator(actor, f"{doing} case {case_id}")


def suspend_case(engine, actor, case_id: int, reason: str) -> None:
    reason = require_reason(reason)
    with engine.db.transaction() as session:
        actor = engine.actors.resolve(session, actor)
        _guard(session, case_id, actor, "suspend")
        with open_case(engine, session, case_id, actor) as opened:
            if opened.case.status != "running":
                raise Conflict(f"Case {case_id} is {opened.case.status}; only a running case can be suspended.")
            opened.case.status = "suspended"
            drop_all_timers(session, opened.case)
            opened.case.updated_at = engine.now()
            opened.record("case_suspended", reason=reason)


def resume_case(engine, actor, case_id: int, reason: str) -> None:
    reason = require_reason(reason)
    with engine_errors(engine) as note, engine.db.transaction() as session:
        note.case_id = case_id
        actor = engine.actors.resolve(session, actor)
        _guard(session, case_id, actor, "resume")
        with open_case(engine, session, case_id, actor) as opened:
            if opened.case.status != "suspended":
                raise Conflict(f"Case {case_id} is {opened.case.status}, not suspended.")
            opened.case.status = "running"
            opened.advance()
            opened.save()
            opened.record("case_resumed", reason=reason)


def terminate_case(engine, actor, case_id: int, reason: str) -> None:
    """End the case where it stands: its open tasks are cancelled, its timers dropped."""
    reason = require_reason(reason)
    with engine.db.transaction() as session:
        actor = engine.actors.resolve(session, actor)
        _guard(session, case_id, actor, "terminate")
        with open_case(engine, session, case_id, actor) as opened:
            case = opened.case
            if case.status in ("completed", "terminated"):
                raise Conflict(f"Case {case_id} is already {case.status}.")
            opened.workflow.cancel()
            case.status, case.ended_at = "terminated", engine.now()
            opened.save()
            rows = session.scalars(select(CaseTask).where(CaseTask.case_id == case_id,
                                                          CaseTask.state == "ready")).all()
            for row in rows:
                row.state, row.completed_at = "cancelled", engine.now()
            opened.record("case_terminated", reason=reason)
