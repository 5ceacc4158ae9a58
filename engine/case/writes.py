"""One command's writes beside its case row, sent together with the row's update.

Completing a task closes its row, opens rows for the tasks that follow, appends the audit
events and updates the case: four or five statements. On PostgreSQL each is a round trip
and a wake-up of the server, together costing more than SpiffWorkflow's own work on the
case, so there they go as one statement: the task updates and the inserts are
data-modifying CTEs of the case's UPDATE (Camunda batches its flush with JDBC for the same
reason; SQLAlchemy's unit of work cannot, psycopg's pipeline mode hides the row counts
the checks below need). On SQLite, in process, they run one by one.

Two checks travel with the writes: a task being completed must still be open and not
claimed by someone else (the system may complete any task), and the case's lock_version
must be the one read. When either fails, the caller gets a Conflict saying which, and the
transaction, rolled back, keeps nothing of the command.
"""
from dataclasses import dataclass, field

from sqlalchemy import Boolean, bindparam, exists, insert, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from engine.case.audit import seal_later
from engine.case.rows import COLUMNS, insert_case, snapshot_of, task_row
from engine.errors import Conflict
from engine.storage import AuditEvent, Case, CaseTask

_CASES, _TASKS, _EVENTS = Case.__table__, CaseTask.__table__, AuditEvent.__table__
_EVENT_COLUMNS = [column.key for column in _EVENTS.columns if column.key != "id"]
#: The same for every task a command opens: bound once in the one statement, which keeps
#: it under psycopg's limit of 50 parameters for a statement it caches and prepares.
_TASK_SHARED = ("case_id", "process_key", "org_path", "state", "starter", "created_at")
_TASK_OWN = [column.key for column in _TASKS.columns
             if column.key not in _TASK_SHARED + ("assignee", "completed_at", "completed_by")]


@dataclass
class Writes:
    finish: list = field(default_factory=list)  # {"task", "by", "at", "override"}
    cancel: list = field(default_factory=list)  # task ids the process cancelled
    cancel_at: object = None
    tasks: list = field(default_factory=list)  # new task rows, as dicts of column values
    events: list = field(default_factory=list)  # audit events (engine.case.audit.chain)

    def __bool__(self):
        return bool(self.finish or self.cancel or self.tasks or self.events)

    def clear(self):
        self.finish, self.cancel, self.cancel_at, self.tasks, self.events = [], [], None, [], []


def send(session: Session, case: Case, seen: dict, writes: Writes) -> None:
    """Write the case's changed columns (against the snapshot `seen`) and `writes`."""
    changed = tuple(key for key in COLUMNS if getattr(case, key) != seen[key])
    if not changed and not writes:
        return
    values = {key: getattr(case, key) for key in changed}
    if session.get_bind().dialect.name == "postgresql":
        sent = _send_as_one(session, case, changed, values, writes)
    else:
        sent = _send_each(session, case, changed, values, writes)
    if not sent:
        _explain_conflict(session, case, writes)
    if writes.events:
        seal_later(session, writes.events[-1])
    seen.update(snapshot_of(values))
    set_committed_value(case, "lock_version", case.lock_version + 1)
    writes.clear()


def send_new(session: Session, case: Case, writes: Writes) -> None:
    """Insert a new case whose id was reserved, and `writes`, as one statement on
    PostgreSQL (its rows' foreign keys are checked at the statement's end)."""
    if writes.finish or writes.cancel:  # a new case has no rows to close yet
        raise RuntimeError(f"case {case.id} is new but closes task rows: {writes}")
    if session.get_bind().dialect.name != "postgresql":
        insert_case(session, case)
        _send_each(session, case, (), {}, writes, update_case=False)
    else:
        shape = (len(writes.tasks), len(writes.events))
        statement = _NEW_STATEMENTS.get(shape)
        if statement is None:
            statement = _NEW_STATEMENTS[shape] = _with_rows(insert(_CASES).values(
                {key: bindparam(f"c_{key}", type_=_CASES.c[key].type) for key in _NEW_COLUMNS}),
                0, False, *shape)
        params = _params(case, {}, writes)
        params.update({f"c_{key}": getattr(case, key) for key in _NEW_COLUMNS})
        session.connection().execute(statement, params)
    if writes.events:
        seal_later(session, writes.events[-1])
    writes.clear()


def _case_update(changed):
    return (update(_CASES)
            .where(_CASES.c.id == bindparam("target_case"), _CASES.c.lock_version == bindparam("seen"))
            .values(lock_version=_CASES.c.lock_version + 1,
                    **{key: bindparam(f"v_{key}") for key in changed}))


def _finish(prefix=""):
    return update(_TASKS).where(
        _TASKS.c.id == bindparam(f"{prefix}task"), _TASKS.c.state == "ready",
        or_(_TASKS.c.assignee.is_(None), _TASKS.c.assignee == bindparam(f"{prefix}by"),
            bindparam(f"{prefix}override", type_=Boolean)),
    ).values(state="completed", completed_at=bindparam(f"{prefix}at"),
             completed_by=bindparam(f"{prefix}by"))


def _cancel():
    return update(_TASKS).where(_TASKS.c.id.in_(bindparam("cancel_ids", expanding=True)),
                                _TASKS.c.state == "ready") \
        .values(state="cancelled", completed_at=bindparam("cancel_at"))


def _case_params(case, values) -> dict:
    return {"target_case": case.id, "seen": case.lock_version,
            **{f"v_{key}": value for key, value in values.items()}}


def _params(case, values, writes) -> dict:
    params = _case_params(case, values)
    for number, finish in enumerate(writes.finish):
        params.update({f"f{number}_{key}": value for key, value in finish.items()})
    if writes.cancel:
        params.update(cancel_ids=writes.cancel, cancel_at=writes.cancel_at)
    for number, row in enumerate(writes.tasks):
        params.update({f"t_{key}": row[key] for key in _TASK_SHARED})
        params.update({f"t{number}_{key}": row[key] for key in _TASK_OWN})
    for number, event in enumerate(writes.events):
        params.update({f"e{number}_{key}": getattr(event, key) for key in _EVENT_COLUMNS})
    return params


# -- PostgreSQL: one statement ----------------------------------------------------------------

_STATEMENTS: dict = {}  # one per shape (changed columns, how many of each write), built once
_NEW_STATEMENTS: dict = {}
_NEW_COLUMNS = ("id", "lock_version", *COLUMNS)


def _send_as_one(session, case, changed, values, writes) -> bool:
    shape = (changed, len(writes.finish), bool(writes.cancel), len(writes.tasks), len(writes.events))
    statement = _STATEMENTS.get(shape)
    if statement is None:
        statement = _STATEMENTS[shape] = _one_statement(*shape)
    return session.connection().execute(statement, _params(case, values, writes)).rowcount == 1


def _one_statement(changed, finishes, cancels, tasks, events):
    return _with_rows(_case_update(changed), finishes, cancels, tasks, events)


def _with_rows(statement, finishes, cancels, tasks, events):
    """`statement` with the command's other writes as data-modifying CTEs."""
    for number in range(finishes):
        finished = _finish(f"f{number}_").returning(_TASKS.c.id).cte(f"finished_{number}")
        statement = statement.where(exists(select(finished.c.id)))
    if cancels:
        statement = statement.add_cte(_cancel().cte("cancelled"))
    # One single-row INSERT per row: SQLAlchemy caches the compiled form of those, not of
    # a multi-row VALUES, and compiling this statement each time would cost what it saves.
    for number in range(tasks):
        row = {key: bindparam(f"t_{key}" if key in _TASK_SHARED else f"t{number}_{key}",
                              type_=_TASKS.c[key].type) for key in _TASK_SHARED + tuple(_TASK_OWN)}
        statement = statement.add_cte(insert(_TASKS).values(row).cte(f"opened_{number}"))
    for number in range(events):
        row = {key: bindparam(f"e{number}_{key}", type_=_EVENTS.c[key].type) for key in _EVENT_COLUMNS}
        statement = statement.add_cte(insert(_EVENTS).values(row).cte(f"recorded_{number}"))
    return statement


# -- SQLite: one statement per table ----------------------------------------------------------

_FINISH, _CANCEL, _INSERT_TASKS, _INSERT_EVENTS = _finish(), _cancel(), insert(_TASKS), insert(_EVENTS)
_UPDATES: dict = {}


def _send_each(session, case, changed, values, writes, update_case=True) -> bool:
    conn = session.connection()
    for finish in writes.finish:
        if conn.execute(_FINISH, finish).rowcount != 1:
            return False
    if writes.cancel:
        conn.execute(_CANCEL, {"cancel_ids": writes.cancel, "cancel_at": writes.cancel_at})
    if writes.tasks:
        conn.execute(_INSERT_TASKS, writes.tasks)
    if writes.events:
        conn.execute(_INSERT_EVENTS, [{key: getattr(e, key) for key in _EVENT_COLUMNS}
                                      for e in writes.events])
    if not update_case:
        return True
    statement = _UPDATES.get(changed)
    if statement is None:
        statement = _UPDATES[changed] = _case_update(changed)
    return conn.execute(statement, _case_params(case, values)).rowcount == 1


def _explain_conflict(session, case, writes) -> None:
    for finish in writes.finish:
        row = task_row(session, finish["task"])
        if row.state != "ready" or (row.assignee not in (None, finish["by"]) and not finish["override"]):
            who = (f"completed by {row.completed_by}" if row.state == "completed" else
                   f"claimed by {row.assignee}" if row.state == "ready" else row.state)
            raise Conflict(f"Task '{row.name}' ({row.id}) was {who} at the same moment.")
    raise Conflict(f"Case {case.id} was changed by someone else at the same moment; "
                   "reload it and try again.")
