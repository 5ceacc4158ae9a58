"""Is this node fit to serve? `readiness` for /readyz, `status` for `liandong status`.

Readiness asks the database one question and compares its Alembic revision with the
code's: a node whose database is gone or not yet migrated must leave the load balancer.
"""
import functools
from dataclasses import dataclass, field
from datetime import datetime

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import exc, func, select, text

from engine.ops.heartbeats import heartbeats
from engine.storage import Incident, Timer
from engine.storage.schema import alembic_config

#: Errors that mean "the database cannot be reached now", not "this request is wrong":
#: they become 503 with Retry-After in the web app and a one-line error in the CLI.
OUTAGE = (exc.OperationalError, exc.InterfaceError, exc.DisconnectionError, exc.TimeoutError)


def is_outage(err: BaseException) -> bool:
    """True when `err` (or what caused it) says the database is unreachable."""
    seen = set()
    while err is not None and id(err) not in seen:
        if isinstance(err, OUTAGE) or (isinstance(err, exc.DBAPIError)
                                       and err.connection_invalidated):
            return True
        seen.add(id(err))
        err = err.__cause__ or err.__context__
    return False


@functools.lru_cache(maxsize=1)
def schema_head() -> str:
    """The newest migration this code knows."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


@dataclass(frozen=True)
class Readiness:
    ok: bool
    reason: str
    dialect: str
    revision: str | None = None
    head: str = ""


def readiness(engine) -> Readiness:
    """Database reachable and its schema at this code's migration head."""
    head = schema_head()
    dialect = engine.db.dialect
    try:
        with engine.db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            revision = MigrationContext.configure(conn).get_current_revision()
    except Exception as err:  # noqa: BLE001 - any failure to answer means not ready
        first_line = (str(err).strip().splitlines() or [err.__class__.__name__])[0]
        return Readiness(False, f"database unreachable: {first_line[:300]}", dialect, None, head)
    if revision is None:
        return Readiness(False, "database has no schema: run `liandong init-db`", dialect,
                         None, head)
    if revision != head:
        return Readiness(False, f"schema at {revision}, code expects {head}: run "
                         "`liandong init-db`", dialect, revision, head)
    return Readiness(True, "ok", dialect, revision, head)


@dataclass(frozen=True)
class SchedulerState:
    node_id: str
    host: str
    pid: int
    started_at: datetime
    beat_at: datetime
    age_s: float
    fired: int
    fresh: bool


@dataclass(frozen=True)
class Status:
    ready: Readiness
    schedulers: list = field(default_factory=list)
    due_backlog: int = 0
    open_incidents: int = 0

    @property
    def problems(self) -> list[str]:
        found = [] if self.ready.ok else [self.ready.reason]
        if self.ready.ok and not any(s.fresh for s in self.schedulers):
            found.append("no scheduler has written a heartbeat lately: timers will not fire")
        return found

    @property
    def ok(self) -> bool:
        return not self.problems


def stale_after(engine) -> float:
    """A heartbeat older than three beats (and a tick) is a dead or cut-off node."""
    return 3 * engine.settings.heartbeat_seconds + engine.settings.tick_seconds


def status(engine) -> Status:
    """Readiness plus every scheduler's last heartbeat, the due backlog, open incidents."""
    ready = readiness(engine)
    if not ready.ok:
        return Status(ready)
    now = engine.now()
    limit = stale_after(engine)
    with engine.db.read() as session:
        nodes = []
        for row in heartbeats(session):
            age = max(0.0, (now - row.beat_at).total_seconds())
            nodes.append(SchedulerState(row.node_id, row.host, row.pid, row.started_at,
                                        row.beat_at, age, row.fired, age <= limit))
        backlog = session.scalar(select(func.count()).select_from(Timer).where(
            Timer.status == "pending", Timer.due_at <= now))
        incidents = session.scalar(select(func.count()).select_from(Incident).where(
            Incident.resolved_at.is_(None)))
    return Status(ready, nodes, backlog, incidents)
