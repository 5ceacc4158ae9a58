"""Test databases already at the newest schema, cloned from one migrated template per test
process instead of running every migration for every test.

Migrating took a third of a second on SQLite and two thirds on PostgreSQL, for each of the
suite's thousand-odd tests that use an engine; a clone costs a file copy (SQLite) or
`CREATE DATABASE ... TEMPLATE` (PostgreSQL, about a tenth of a second). The template is
made by the same `upgrade()` the product runs, once per test process, and the migrations
themselves are tested from an empty database in tests/engine/storage/test_schema.py.
"""
import atexit
import os
import shutil
import sqlite3
import tempfile
import uuid
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import create_engine, make_url, text

from engine.storage.db import Database
from engine.storage.schema import upgrade

_sqlite_template: Path | None = None
_postgres_template: str | None = None
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


def migrated_postgres(server_url: str) -> tuple[str, str]:
    """A new database cloned from this process's migrated template: (its URL, its name)."""
    global _postgres_template
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        if _postgres_template is None:
            template = f"liandong_template_{os.getpid()}"
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)'))
                conn.execute(text(f'CREATE DATABASE "{template}"'))
            db = Database(_database_url(server_url, template, CLONE_SCHEMA))
            with db.engine.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{CLONE_SCHEMA}"'))
            upgrade(db)
            db.engine.dispose()  # a template may have no connection while it is copied
            atexit.register(drop_database, server_url, template)
            _postgres_template = template
        name = f"t_{uuid.uuid4().hex[:12]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{_postgres_template}"'))
    finally:
        admin.dispose()
    return _database_url(server_url, name, CLONE_SCHEMA), name


def drop_database(server_url: str, name: str) -> None:
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
