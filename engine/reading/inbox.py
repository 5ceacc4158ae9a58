"""Read-only queries over the query tables, always scoped to what the actor may see."""
from sqlalchemy import and_, false, func, literal, or_, select

from engine.storage import Case, CaseTask


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
                                CaseTask.org_path.in_(ancestor_paths(path)))))
    return or_(*clauses)


def ancestor_paths(path: str) -> list[str]:
    """'/a/b/' -> ['/', '/a/', '/a/b/']: the paths `path` starts with, listed so the test
    "my path starts with the task's path" is an indexable IN instead of a LIKE per row."""
    parts = [p for p in path.split("/") if p]
    return ["/"] + ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]


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


# -- the web inbox ---------------------------------------------------------------------------

INBOX_SORTS = {
    "due": (CaseTask.due_at.is_(None), CaseTask.due_at, CaseTask.created_at),
    "newest": (CaseTask.created_at.desc(), CaseTask.case_id.desc()),
    "oldest": (CaseTask.created_at, CaseTask.case_id),
    "process": (CaseTask.process_key, CaseTask.created_at),
    "name": (CaseTask.name, CaseTask.created_at),
}


def visible_task_clause(actor):
    """Tasks the actor may open: ones they may work on, or of a case they may see."""
    if actor.reads_everything:
        return literal(True)
    clauses = [eligible_clause(actor), CaseTask.starter == actor.username]
    clauses += [CaseTask.org_path.startswith(path) for path in actor.org_paths()]
    return or_(*clauses)


def inbox_query(actor, view="open", process_key=None, stage=None, org_path=None, sort="due"):
    """Rows (task, case title, business key, stage, organisation name, organisation code,
    process version id, case facts) for the inbox.

    view: "open" (mine and my groups' unclaimed), "mine" (claimed by me), "unclaimed".
    The scoping clause is always part of the query; filters only narrow it.
    """
    from engine.storage import Organisation
    query = (select(CaseTask, Case.title, Case.business_key, Case.stage, Organisation.name,
                    Organisation.code, Case.process_version_id, Case.facts)
             .join(Case, Case.id == CaseTask.case_id)
             .outerjoin(Organisation, Organisation.id == Case.organisation_id)
             .where(eligible_clause(actor), CaseTask.state == "ready"))
    if view == "mine":
        query = query.where(CaseTask.assignee == actor.username)
    elif view == "unclaimed":
        query = query.where(CaseTask.assignee.is_(None))
    else:
        query = query.where(or_(CaseTask.assignee.is_(None), CaseTask.assignee == actor.username))
    if process_key:
        query = query.where(CaseTask.process_key == process_key)
    if stage:
        query = query.where(Case.stage == stage)
    if org_path:
        query = query.where(CaseTask.org_path.startswith(org_path))
    return query.order_by(*INBOX_SORTS.get(sort, INBOX_SORTS["due"]))


def page_of(session, query, page: int, per_page: int):
    """(rows of this page, total rows) for a query."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = session.execute(query.limit(per_page).offset(max(page - 1, 0) * per_page)).all()
    return rows, total


def task_for(session, actor, task_id: str) -> CaseTask | None:
    """One task the actor may open, or None (the caller answers 404)."""
    return session.scalar(select(CaseTask).where(CaseTask.id == task_id, visible_task_clause(actor)))


def inbox_choices(session, actor):
    """Process keys and stages that occur among the actor's open tasks (for the filters)."""
    base = (select(CaseTask.process_key, Case.stage).join(Case, Case.id == CaseTask.case_id)
            .where(eligible_clause(actor), CaseTask.state == "ready").distinct())
    rows = session.execute(base).all()
    return sorted({r[0] for r in rows}), sorted({r[1] for r in rows if r[1]})


def startable_processes(session, actor, specs):
    """The latest version of every deployed process that `actor` may start a case of, for
    their own organisation (the lane of its start event names who may; `specs`: the
    engine's SpecCache). A process its parent or the calendar starts is never offered."""
    from engine.storage import ProcessModel, ProcessVersion
    if actor.is_auditor_only:
        return []
    latest = (select(ProcessVersion.process_model_id, func.max(ProcessVersion.version).label("v"))
              .group_by(ProcessVersion.process_model_id).subquery())
    versions = session.scalars(
        select(ProcessVersion).join(latest, and_(ProcessVersion.process_model_id == latest.c.process_model_id,
                                                 ProcessVersion.version == latest.c.v))
        .join(ProcessModel).order_by(ProcessModel.key))
    home = actor.home[2] if actor.home else ""
    bundles = ((v, specs.get(session, v.id)) for v in versions)
    return [v for v, bundle in bundles if bundle.start.by_hand and actor.may_start(bundle.start_roles, home)]


def startable(session, actor, specs, key: str):
    """(latest version, its start rule) of process `key` when `actor` may start it by
    hand, else None (the caller answers 404)."""
    for version in startable_processes(session, actor, specs):
        if version.model.key == key:
            return version, specs.get(session, version.id).start
    return None


def organisations_for(session, actor):
    """The organisations the actor may filter by: their own and everything below them."""
    from engine.storage import Organisation
    query = select(Organisation).order_by(Organisation.path)
    if not actor.reads_everything:
        query = query.where(or_(*[Organisation.path.startswith(p) for p in actor.org_paths()])
                            if actor.org_paths() else false())
    return list(session.scalars(query))


def organisation_names(session) -> dict:
    """{code: (name, name_en)} of every organisation: labels, not a scope (codes are not
    secret; what a person may see is decided by the queries that found the codes)."""
    from engine.storage import Organisation
    return {code: (name, name_en) for code, name, name_en in session.execute(
        select(Organisation.code, Organisation.name, Organisation.name_en))}


def latest_versions(session) -> dict:
    """{process key: id of its latest deployed version}: where a process's name is read."""
    from engine.storage import ProcessModel, ProcessVersion
    rows = session.execute(select(ProcessModel.key, func.max(ProcessVersion.id))
                           .join(ProcessVersion, ProcessVersion.process_model_id == ProcessModel.id)
                           .group_by(ProcessModel.key))
    return {key: version_id for key, version_id in rows}
