"""Read-only queries over the query tables, always scoped to what the actor may see."""
from sqlalchemy import and_, false, func, literal, or_, select

from .storage import Case, CaseTask


def eligible_clause(actor):
    """Open tasks the actor may work on: their lane role on the case's branch, or their own
    case's lane-less tasks, or claimed by them."""
    if actor.is_system:
        return literal(True)
    if actor.is_auditor_only:
        return false()
    clauses = [and_(CaseTask.lane.is_(None), CaseTask.starter == actor.username),
               CaseTask.assignee == actor.username]
    for _code, path, role in actor.memberships:
        clauses.append(and_(CaseTask.lane == role,
                            or_(CaseTask.org_path.startswith(path),
                                literal(path).startswith(CaseTask.org_path))))
    return or_(*clauses)


def visible_case_clause(actor):
    if actor.reads_everything:
        return literal(True)
    clauses = [Case.started_by == actor.username]
    clauses += [Case.org_path.startswith(path) for path in actor.org_paths()]
    return or_(*clauses)


def task_query(actor, case_id=None, state="ready", mine_only=False, process_key=None):
    query = select(CaseTask).where(eligible_clause(actor))
    if state:
        query = query.where(CaseTask.state == state)
    if case_id is not None:
        query = query.where(CaseTask.case_id == case_id)
    if process_key:
        query = query.where(CaseTask.process_key == process_key)
    if mine_only:
        query = query.where(CaseTask.assignee == actor.username)
    else:
        query = query.where(or_(CaseTask.assignee.is_(None), CaseTask.assignee == actor.username))
    return query.order_by(CaseTask.due_at.is_(None), CaseTask.due_at, CaseTask.created_at)


def tasks_for(session, actor, **filters) -> list[CaseTask]:
    return list(session.scalars(task_query(actor, **filters)))


def count_tasks(session, actor) -> int:
    return session.scalar(select(func.count()).select_from(task_query(actor).order_by(None).subquery()))


def case_for(session, actor, case_id: int) -> Case | None:
    return session.scalar(select(Case).where(Case.id == case_id, visible_case_clause(actor)))
