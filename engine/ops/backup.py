"""`liandong backup FILE` and `liandong restore FILE`: the database and the uploads in one
archive (a gzip'd tar with a manifest).

SQLite is copied with its online backup API, a consistent snapshot while the app runs;
PostgreSQL with `pg_dump --format=custom` (one consistent snapshot too). The uploads are
copied after the database snapshot: files are content-addressed and written before the
row that names them commits, so every file the snapshot refers to is already on disk.
A restore goes into an empty database only, and refuses anything else.
"""
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from engine.errors import Conflict, InvalidData, LiandongError
from engine.storage.files import FileStore

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
PG_MEMBER = "database.pgdump"
COUNTED = ("cases", "tasks", "timers", "files", "audit_events", "users")


class BackupError(LiandongError):
    """pg_dump or pg_restore failed, or the archive is not a Liandong backup."""


@dataclass(frozen=True)
class Summary:
    path: Path
    dialect: str
    revision: str | None
    counts: dict
    uploads: int


def uploads_dir(engine) -> Path:
    return FileStore.of(engine.settings).directory


def backup(engine, target) -> Summary:
    """Write the database and the uploads to `target` (replaced atomically when done)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="liandong-backup-") as work:
        work = Path(work)
        if engine.db.is_sqlite:
            member = work / SQLITE_MEMBER
            _sqlite_snapshot(engine, member)
        else:
            member = work / PG_MEMBER
            _pg_run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                     f"--file={member}", *_pg_schema_args(engine.db.url)], engine.db.url)
        revision, counts = _describe(engine)
        uploads = sorted(p for p in uploads_dir(engine).rglob("*") if p.is_file()
                         and FileStore.is_name(p.relative_to(uploads_dir(engine))))
        manifest = {"format": FORMAT, "dialect": engine.db.dialect, "revision": revision,
                    "created_at": engine.now().isoformat(), "counts": counts,
                    "uploads": len(uploads)}
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        os.close(fd)
        try:
            with tarfile.open(tmp, "w:gz") as archive:
                _add_bytes(archive, MANIFEST, json.dumps(manifest, indent=2).encode())
                archive.add(member, member.name)
                for path in uploads:
                    archive.add(path, f"uploads/{path.relative_to(uploads_dir(engine))}")
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return Summary(target, engine.db.dialect, revision, counts, len(uploads))


def read_manifest(source) -> dict:
    try:
        with tarfile.open(source, "r:gz") as archive:
            manifest = json.load(archive.extractfile(MANIFEST))
    except (tarfile.TarError, KeyError, OSError, ValueError) as err:
        raise BackupError(f"{source} is not a Liandong backup: {err}") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{source}: backup format {manifest.get('format')} is not "
                          f"{FORMAT}, the one this version reads.")
    return manifest


def restore(engine, source) -> Summary:
    """Restore `source` into this engine's database, which must be empty, and its uploads."""
    source = Path(source)
    if not source.is_file():
        raise InvalidData(f"There is no backup file {source}.")
    manifest = read_manifest(source)
    if manifest["dialect"] != engine.db.dialect:
        raise InvalidData(f"{source} is a {manifest['dialect']} backup; the configured "
                          f"database is {engine.db.dialect}.")
    _require_empty(engine)
    with tempfile.TemporaryDirectory(prefix="liandong-restore-") as work, \
            tarfile.open(source, "r:gz") as archive:
        work = Path(work)
        if engine.db.is_sqlite:
            archive.extract(SQLITE_MEMBER, work, filter="data")
            _sqlite_restore(engine, work / SQLITE_MEMBER)
        else:
            archive.extract(PG_MEMBER, work, filter="data")
            _drop_empty_schema(engine)
            _pg_run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
                     "--single-transaction", f"--dbname={_libpq_dbname(engine.db.url)}",
                     str(work / PG_MEMBER)], engine.db.url)
        engine.db.dispose()  # pooled connections saw the empty database
        restored = _restore_uploads(engine, archive)
    revision, counts = _describe(engine)
    return Summary(source, engine.db.dialect, revision, counts, restored)


# -- SQLite -------------------------------------------------------------------------------

def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise InvalidData("An in-memory SQLite database cannot be backed up or restored.")
    return Path(database)


def _sqlite_snapshot(engine, member: Path) -> None:
    raw = engine.db.engine.raw_connection()
    try:
        destination = sqlite3.connect(member)
        try:
            raw.driver_connection.backup(destination)
        finally:
            destination.close()
    finally:
        raw.close()


def _sqlite_restore(engine, member: Path) -> None:
    _sqlite_path(engine.db.url)
    source = sqlite3.connect(member)
    raw = engine.db.engine.raw_connection()
    try:
        source.backup(raw.driver_connection)
    finally:
        raw.close()
        source.close()


# -- PostgreSQL ---------------------------------------------------------------------------

def _pg_env(url: str) -> dict:
    """libpq's environment for `url` (the password never shows on a command line)."""
    parsed = make_url(url)
    env = dict(os.environ)
    for name, value in (("PGHOST", parsed.host), ("PGPORT", parsed.port),
                        ("PGUSER", parsed.username), ("PGPASSWORD", parsed.password),
                        ("PGDATABASE", parsed.database)):
        if value is not None:
            env[name] = str(value)
    options = parsed.query.get("options")
    if options:
        env["PGOPTIONS"] = unquote(options if isinstance(options, str) else options[0])
    return env


def _libpq_dbname(url: str) -> str:
    return make_url(url).database or ""


def _search_path_schema(url: str) -> str | None:
    """The schema a `-csearch_path=NAME` option in the URL confines the app to."""
    options = make_url(url).query.get("options") or ""
    options = unquote(options if isinstance(options, str) else options[0])
    for part in options.split():
        if part.startswith("-csearch_path="):
            return part.split("=", 1)[1].split(",")[0].strip('"') or None
    return None


def _pg_schema_args(url: str) -> list[str]:
    schema = _search_path_schema(url)
    return [f"--schema={schema}"] if schema else []


def _pg_run(command: list[str], url: str) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed (PostgreSQL's client programs are "
                          "needed to back up and restore a PostgreSQL database).")
    done = subprocess.run(command, env=_pg_env(url), capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()[:2000]}")


def _drop_empty_schema(engine) -> None:
    """The archive creates its schema itself; an empty one made beforehand is dropped
    (without CASCADE: if anything is in it, this fails and nothing is lost)."""
    schema = _search_path_schema(engine.db.url)
    if not schema:
        return
    with engine.db.engine.begin() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_namespace WHERE nspname = :s"),
                              {"s": schema}).first()
        if exists:
            conn.execute(text(f'DROP SCHEMA "{schema}"'))


# -- both ---------------------------------------------------------------------------------

def _require_empty(engine) -> None:
    try:
        with engine.db.engine.connect() as conn:
            tables = inspect(conn).get_table_names()
    except Exception as err:  # noqa: BLE001 - say why, without a traceback
        raise BackupError(f"The database cannot be reached: {str(err).splitlines()[0]}") from None
    if tables:
        raise Conflict(f"The database is not empty ({len(tables)} tables, e.g. "
                       f"{', '.join(sorted(tables)[:3])}); restore only into an empty one.")


def _describe(engine) -> tuple[str | None, dict]:
    with engine.db.engine.connect() as conn:
        revision = MigrationContext.configure(conn).get_current_revision()
        tables = set(inspect(conn).get_table_names())
        counts = {name: conn.execute(text(f"SELECT count(*) FROM {name}")).scalar_one()
                  for name in COUNTED if name in tables}
    return revision, counts


def _restore_uploads(engine, archive: tarfile.TarFile) -> int:
    """Put back each upload whose content still matches its name (SHA-256)."""
    store = FileStore.of(engine.settings)
    count = 0
    for info in archive.getmembers():
        if not info.isfile() or not info.name.startswith("uploads/"):
            continue
        relative = Path(info.name).relative_to("uploads")
        if not FileStore.is_name(relative):
            continue
        content = archive.extractfile(info).read()
        if hashlib.sha256(content).hexdigest() != "".join(relative.parts):
            raise BackupError(f"{info.name} in the backup does not match its checksum.")
        store.put(content)
        count += 1
    return count


def _add_bytes(archive: tarfile.TarFile, name: str, content: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(content)
    archive.addfile(info, io.BytesIO(content))
