"""Test databases already at the newest schema, cloned from one migrated template per test
process instead of running every migration for every test.

Migrating took a third of a second on SQLite and two thirds on PostgreSQL, for each of the
suite's thousand-odd tests that use an engine; a clone costs a file copy (SQLite) or
`CREATE DATABASE ... TEMPLATE` (PostgreSQL), made ahead in the background. The template is
made by the same `upgrade()` the product runs, once per test process, and the migrations
themselves are tested from an empty database in tests/engine/storage/test_schema.py.
"""
import atexit
import os
import shutil
import sqlite3
import tempfile
import uuid
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import create_engine, make_url, text

from engine.storage.db import Database
from engine.storage.schema import upgrade

_sqlite_template: Path | None = None
#: The schema every PostgreSQL clone holds its tables in (the template's).
CLONE_SCHEMA = f"t_{uuid.uuid4().hex[:12]}"


def migrated_sqlite(path: Path) -> None:
    """Write a migrated SQLite database at `path`."""
    global _sqlite_template
    if _sqlite_template is None:
        folder = Path(tempfile.mkdtemp(prefix="liandong-template-"))
        atexit.register(shutil.rmtree, folder, True)
        template = folder / "template.sqlite3"
        db = Database(f"sqlite:///{template}", sqlite_synchronous="NORMAL")
        upgrade(db)
        db.engine.dispose()
        with sqlite3.connect(template) as conn:  # fold the WAL in: the copy is one file
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        _sqlite_template = template
    shutil.copyfile(_sqlite_template, path)


def _database_url(server_url: str, database: str, schema: str) -> str:
    url = make_url(server_url).set(database=database)
    rendered = url.render_as_string(hide_password=False)
    sep = "&" if "?" in rendered else "?"
    return f"{rendered}{sep}options={quote(f'-csearch_path={schema}')}"


class PostgresClones:
    """Databases cloned from one migrated template, made ahead in a background thread while
    tests run (cloning waits on the server's disk, not on this process) and dropped there."""

    AHEAD = 2

    def __init__(self, server_url: str):
        self.server_url = server_url
        self.template = f"liandong_template_{os.getpid()}"
        self.made = False
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="test-databases")
        self.ahead: deque = deque()

    def take(self) -> tuple[str, str]:
        """A new database at the newest schema: (its URL, its name)."""
        if not self.made:
            self._make_template()
        while len(self.ahead) <= self.AHEAD:
            self.ahead.append(self.pool.submit(self._clone))
        name = self.ahead.popleft().result()
        return _database_url(self.server_url, name, CLONE_SCHEMA), name

    def give_back(self, name: str) -> None:
        self.pool.submit(drop_database, self.server_url, name)

    def close(self) -> None:
        """Drop what is left: the clones made ahead and the template."""
        self.pool.shutdown(wait=True)
        if not self.made:
            return
        for made in self.ahead:
            drop_database(self.server_url, made.result())
        drop_database(self.server_url, self.template)

    def _make_template(self) -> None:
        with _admin(self.server_url) as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{self.template}"'))
        db = Database(_database_url(self.server_url, self.template, CLONE_SCHEMA))
        with db.engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{CLONE_SCHEMA}"'))
        upgrade(db)
        db.engine.dispose()  # a template may have no connection while it is copied
        self.made = True

    def _clone(self) -> str:
        name = f"t_{uuid.uuid4().hex[:12]}"
        with _admin(self.server_url) as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"'))
            # As SQLite's tests run with synchronous=NORMAL: a test database need not survive
            # the server's crash, and waiting for each commit's WAL flush slowed every test.
            conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
        return name


_clones: PostgresClones | None = None


def migrated_postgres(server_url: str) -> tuple[str, str]:
    """A new database at the newest schema (`drop_clone` it after): (its URL, its name)."""
    global _clones
    if _clones is None:
        _clones = PostgresClones(server_url)
    return _clones.take()


def drop_clone(name: str) -> None:
    _clones.give_back(name)


def close() -> None:
    """At the end of the session: remove every database this process made."""
    if _clones is not None:
        _clones.close()


@contextmanager
def _admin(server_url: str):
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            yield conn
    finally:
        admin.dispose()


def drop_database(server_url: str, name: str) -> None:
    with _admin(server_url) as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
