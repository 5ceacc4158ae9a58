"""Suspend, resume and terminate a case: an administrator's or the starter's commands."""
from sqlalchemy import select

from engine.case.failures import engine_errors
from engine.case.opened import open_case
from engine.case.projection import drop_all_timers
from engine.errors import Conflict, Forbidden, NotFound
from engine.storage import Case, CaseTask


def _may_manage(actor, case: Case) -> bool:
    if actor.is_auditor_only:
        return False
    return actor.is_system or actor.username == case.started_by or (
        actor.has_role("admin") and actor.sees_path(case.org_path))


def _guard(session, case_id, actor) -> None:
    case = session.get(Case, case_id)
    if case is None or not (actor.sees_path(case.org_path) or actor.username == case.started_by):
        raise NotFound(f"Case {case_id} does not exist.")
    if not _may_manage(actor, case):
        raise Forbidden(f"'{actor.username}' may not suspend, resume or terminate case {case_id}.")


def suspend_case(engine, actor, case_id: int, reason: str = "") -> None:
    with engine.db.transaction() as session:
        _guard(session, case_id, actor)
        with open_case(engine, session, case_id, actor) as opened:
            if opened.case.status != "running":
                raise Conflict(f"Case {case_id} is {opened.case.status}; only a running case can be suspended.")
            opened.case.status = "suspended"
            drop_all_timers(session, opened.case)
            opened.case.updated_at = engine.now()
            opened.record("case_suspended", reason=reason)


def resume_case(engine, actor, case_id: int, reason: str = "") -> None:
    with engine_errors(engine) as note, engine.db.transaction() as session:
        note.case_id = case_id
        _guard(session, case_id, actor)
        with open_case(engine, session, case_id, actor) as opened:
            if opened.case.status != "suspended":
                raise Conflict(f"Case {case_id} is {opened.case.status}, not suspended.")
            opened.case.status = "running"
            opened.advance()
            opened.save()
            opened.record("case_resumed", reason=reason)


def terminate_case(engine, actor, case_id: int, reason: str = "") -> None:
    """End the case where it stands: its open tasks are cancelled, its timers dropped."""
    with engine.db.transaction() as session:
        _guard(session, case_id, actor)
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
