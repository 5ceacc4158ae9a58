"""Reading and writing a case's row with Core statements instead of the ORM's unit of work.

Every command reads its case and writes it once or twice (state, status, facts, the audit
chain's head); the ORM's identity map and flush cost more than the statements themselves,
three times over on PostgreSQL. So a command works on a `Case` outside any session: `lock`
builds it from a Core row, `snapshot` remembers what was read, and engine.case.writes
sends exactly the columns that differ, bumping `lock_version` as the ORM's version counter
does, so an ORM write elsewhere (the error note after a rollback) still detects it.
"""
import copy
from types import SimpleNamespace

from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm import Session, undefer
from sqlalchemy.orm.attributes import set_committed_value

from engine.errors import NotFound
from engine.storage import Case, CaseTask

_CASES = Case.__table__
_TASKS = CaseTask.__table__
COLUMNS = [column.key for column in _CASES.columns if column.key not in ("id", "lock_version")]
_INSERT = insert(_CASES).returning(*_CASES.columns)
_BY_ID = select(_CASES).where(_CASES.c.id == bindparam("case")).with_for_update(of=_CASES)
_BY_TASK = select(_CASES).where(
    _CASES.c.id == select(_TASKS.c.case_id).where(_TASKS.c.id == bindparam("task")).scalar_subquery()
).with_for_update(of=_CASES)


_WITH_TASK = select(_CASES, *[column.label(f"task__{column.key}") for column in _TASKS.columns]) \
    .join_from(_CASES, _TASKS, _TASKS.c.case_id == _CASES.c.id) \
    .where(_TASKS.c.id == bindparam("task")).with_for_update(of=_CASES)
_TASK_ROW = select(_TASKS).where(_TASKS.c.id == bindparam("task"))


def lock(session: Session, case_id: int | None = None, task_id: str | None = None) -> Case | None:
    """The case `case_id` (or the case of task `task_id`), locked for this transaction."""
    conn = session.connection()
    row = (conn.execute(_BY_ID, {"case": case_id}) if task_id is None
           else conn.execute(_BY_TASK, {"task": task_id})).first()
    return None if row is None else _case(row._mapping)


def lock_with_task(session: Session, task_id: str):
    """(case, task row) for task `task_id`, the case locked, in one statement.

    On PostgreSQL the task's columns may predate a command this one waited for (the
    statement's snapshot is taken before the lock is granted): what a task is (its lane,
    organisation, form) never changes, but its state and assignee may. Whoever relies on
    those re-reads them with `task_row`, or checks them in the statement that writes.
    """
    row = session.connection().execute(_WITH_TASK, {"task": task_id}).first()
    if row is None:
        return None, None
    values = row._mapping
    task = SimpleNamespace(**{column.key: values[f"task__{column.key}"] for column in _TASKS.columns})
    return _case({column.key: values[column] for column in _CASES.columns}), task


def task_row(session: Session, task_id: str):
    """The task's row as it is now (read after the case's lock)."""
    return session.connection().execute(_TASK_ROW, {"task": task_id}).one()


def _case(values) -> Case:
    case = Case()
    for key, value in values.items():
        set_committed_value(case, key, value)
    return case


def detach(session: Session, case: Case) -> Case:
    """Take an ORM-loaded `case` out of the session so only `write` ever writes it."""
    if case in session:
        session.expunge(case)
    return case


def snapshot(case: Case) -> dict:
    """The row's values as read, copied where a command could change them in place."""
    return snapshot_of({key: getattr(case, key) for key in COLUMNS})


def snapshot_of(values: dict) -> dict:
    return {key: copy.deepcopy(value) if isinstance(value, dict | list) else value
            for key, value in values.items()}


def insert_case(session: Session, case: Case) -> None:
    """Insert a new case; it gets its id (unless reserved) and the columns' defaults."""
    values = {key: getattr(case, key) for key in ("id", "lock_version", *COLUMNS)
              if getattr(case, key) is not None}
    row = session.connection().execute(_INSERT, values).one()
    for key, value in row._mapping.items():
        set_committed_value(case, key, value)


def lock_case(session: Session, case_id: int) -> Case:
    """The case row as an ORM object in the session, locked for this transaction (FOR
    UPDATE on PostgreSQL; on SQLite the IMMEDIATE transaction already holds the database's
    write lock). Commands go through `open_case`, which reads it with Core."""
    case = session.execute(
        select(Case).where(Case.id == case_id).with_for_update(of=Case)
        .options(undefer(Case.state)).execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if case is None:
        raise NotFound(f"Case {case_id} does not exist.")
    return case
