"""The database: one SQLAlchemy engine and session factory per configured URL.

SQLite is the embedded default, PostgreSQL the scale-out store. On SQLite every write
transaction starts with BEGIN IMMEDIATE: without it two commands that both read first and
write later would both take a read snapshot and the second would fail with "database is
locked" instead of waiting its turn and seeing the first one's change.
"""
import functools
import time
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event, exc
from sqlalchemy.orm import Session, sessionmaker


#: SQLite synchronous modes accepted from the settings.
SYNCHRONOUS = ("OFF", "NORMAL", "FULL", "EXTRA")


class Database:
    def __init__(self, url: str, echo: bool = False, sqlite_synchronous: str = "FULL",
                 keyring=None):
        self.url = url
        #: The audit keys (engine.storage.audit_keys), handed to every session's `info`.
        self.keyring = keyring
        synchronous = sqlite_synchronous.upper()
        if synchronous not in SYNCHRONOUS:
            raise ValueError(f"sqlite_synchronous must be one of {', '.join(SYNCHRONOUS)}, "
                             f"not {sqlite_synchronous!r}")
        self.engine = _make_engine(url, echo, synchronous)
        self.dialect = self.engine.dialect.name
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @contextmanager
    def transaction(self, write: bool = True):
        """A session inside one transaction: committed on success, rolled back on any error."""
        session: Session = self._sessions()
        session.info["audit_keys"] = self.keyring
        if write and self.is_sqlite:
            session.connection(execution_options={"sqlite_immediate": True})
        try:
            yield session
            for hook in session.info.pop("before_commit", ()):  # e.g. engine.storage.ledger.seal
                hook(session)
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def read(self):
        """A session for queries only."""
        return self.transaction(write=False)

    def dispose(self):
        self.engine.dispose()


def _make_engine(url: str, echo: bool, synchronous: str = "FULL"):
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, connect_args={"timeout": 30})
        event.listen(engine, "connect", functools.partial(_sqlite_connect, synchronous=synchronous))
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    engine = create_engine(url, echo=echo, pool_size=10, max_overflow=20)
    event.listen(engine, "checkin", _note_idle)
    event.listen(engine, "checkout", _ping_if_idle)
    return engine


#: A pooled connection idle for longer than this is pinged before use.
PING_AFTER_IDLE_S = 1.0


def _note_idle(_dbapi_connection, record):
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle(dbapi_connection, record, _proxy):
    """Ping a connection only when it has sat idle, as HikariCP does.

    SQLAlchemy's pool_pre_ping pings on every checkout: one extra round trip per command.
    A connection handed back a moment ago was alive then; one that idled (a restart of the
    server, a firewall dropping quiet connections) is pinged, and a dead one is replaced,
    which the pool does when this raises DisconnectionError.
    """
    idle_since = record.info.get("idle_since")
    if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_S:
        return
    try:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        dbapi_connection.rollback()
    except Exception as err:  # noqa: BLE001 - any failure means the connection is unusable
        raise exc.DisconnectionError(f"stale pooled connection: {err}") from err


def _sqlite_connect(dbapi_connection, _record, synchronous="FULL"):
    """WAL, and `synchronous` FULL by default: with NORMAL a commit is durable only once the
    WAL is checkpointed, so a power loss (not a crash of the process) can lose the last
    acknowledged commits."""
    # Let SQLAlchemy's "begin" event issue BEGIN itself (the pysqlite driver's own
    # transaction handling cannot start an IMMEDIATE transaction).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA synchronous={synchronous}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(conn):
    immediate = conn.get_execution_options().get("sqlite_immediate")
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
