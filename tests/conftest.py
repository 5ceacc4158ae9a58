"""Shared fixtures: a fresh database per test (a SQLite file, or on PostgreSQL a database of its
own cloned from a migrated template when the test uses an engine, else an empty schema), an
Engine on it with a manual clock, and small factories for organisations and users."""
import os
import threading
import uuid
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

import flask
import jinja2
import pytest
from sqlalchemy import create_engine, text

from engine.people import identity
from engine.clock import ManualClock
from engine.config import Settings
from engine.core import Engine
from tests import databases

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
POSTGRES_URL = os.environ.get("LIANDONG_TEST_POSTGRES_URL", "")
START = datetime(2016, 4, 1, 1, 0, tzinfo=timezone.utc)


def _postgres_reachable() -> str | None:
    if not POSTGRES_URL:
        return "LIANDONG_TEST_POSTGRES_URL is not set"
    try:
        probe = create_engine(POSTGRES_URL)
        with probe.connect() as conn:
            conn.execute(text("SELECT 1"))
        probe.dispose()
    except Exception as err:  # noqa: BLE001
        return f"PostgreSQL at LIANDONG_TEST_POSTGRES_URL is not reachable: {err.__class__.__name__}"
    return None


_PG_SKIP = _postgres_reachable()

# Nearly every test creates users; scrypt's deliberate tenth of a second each would be a
# third of the suite's time. test_auth checks that the product's default is scrypt.
TEST_PASSWORD_METHOD = "pbkdf2:sha256:1000"
identity.PASSWORD_METHOD = TEST_PASSWORD_METHOD


class _TemplateCodeCache(jinja2.BytecodeCache):
    """Compiled templates shared by the apps of one test process. A product process makes
    one app and compiles each template once; the suite makes an app per test, and compiling
    the same templates again was a sixth of the web tests' time. Keyed by the template's
    source checksum, so an edited template is compiled afresh."""

    def __init__(self):
        self.code = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket):
        self.code[bucket.key] = bucket.bytecode_to_string()


_TEMPLATE_CODE = _TemplateCodeCache()
_create_jinja_environment = flask.Flask.create_jinja_environment


def _jinja_environment_sharing_code(app):
    environment = _create_jinja_environment(app)
    environment.bytecode_cache = _TEMPLATE_CODE
    return environment


flask.Flask.create_jinja_environment = _jinja_environment_sharing_code


def pytest_sessionfinish(session):
    databases.close()


#: Fixtures whose tests get a database already at the newest schema (tests/databases.py);
#: any other test gets an empty one.
MIGRATED_FOR = "engine"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    migrated = MIGRATED_FOR in request.fixturenames
    if request.param == "sqlite":
        path = tmp_path / "test.sqlite3"
        if migrated:
            databases.migrated_sqlite(path)
        yield f"sqlite:///{path}"
        return
    if _PG_SKIP:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL tests must run in CI: {_PG_SKIP}")
        pytest.skip(_PG_SKIP)
    if migrated:
        url, name = databases.migrated_postgres(POSTGRES_URL)
        yield url
        databases.drop_clone(name)
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{sep}options={quote(f'-csearch_path={schema}')}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def second_database(database_url, settings, tmp_path):
    """Settings for a second, empty database of the same kind, with its own instance folder."""
    instance = tmp_path / "restored-instance"
    # The audit keys are kept apart from the database and its backups (README, "The audit
    # trail"): a restore elsewhere is given the same keys folder.
    settings = settings.with_(audit_keys_dir=str(settings.audit_keys_path))
    if database_url.startswith("sqlite"):
        yield settings.with_(database_url=f"sqlite:///{tmp_path / 'restored.sqlite3'}",
                             instance_path=instance)
        return
    # The backup of a test schema recreates that schema: restore it into a new database.
    name = f"restore_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base, _, _ = POSTGRES_URL.rpartition("/")
    schema = database_url.split(quote("-csearch_path="))[1]
    yield settings.with_(database_url=f"{base}/{name}?options={quote('-csearch_path=')}{schema}",
                         instance_path=instance)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def settings(database_url, tmp_path):
    # NORMAL: a test database need not survive a power loss, and FULL's fsync per commit
    # would slow every SQLite test (tests/engine/storage/test_durability.py checks FULL).
    return Settings(instance_path=tmp_path / "instance", database_url=database_url,
                    forms_dir=DATA / "forms", script_time_limit=1.0,
                    sqlite_synchronous="NORMAL")


@pytest.fixture
def clock():
    return ManualClock(START)


@pytest.fixture
def engine(settings, clock):
    """An engine on a database at the newest schema (database_url migrated it)."""
    eng = Engine(settings, clock)
    yield eng
    eng.close()


def bpmn(name: str) -> dict[str, bytes]:
    """A test model's files by name, as deploy() takes them."""
    path = DATA / name
    return {path.name: path.read_bytes()}


def province_started_model() -> dict[str, bytes]:
    """plan_review with its start event in the province lane, as process `province_review`."""
    xml = bpmn("plan_review.bpmn")["plan_review.bpmn"].decode()
    xml = xml.replace('id="plan_review"', 'id="province_review"').replace(
        "<bpmn:flowNodeRef>Task_Plan</bpmn:flowNodeRef>",
        "<bpmn:flowNodeRef>StartEvent</bpmn:flowNodeRef><bpmn:flowNodeRef>Task_Plan</bpmn:flowNodeRef>")
    return {"province_review.bpmn": xml.encode()}


PASSWORD = "secret-pass"


def demo_data(engine) -> None:
    """Ministry -> two provinces -> a city each, and a typical user for each role."""
    from engine.people import identity
    with engine.db.transaction() as s:
        identity.create_organisation(s, "ministry", "文化部公共文化司", kind="ministry")
        identity.create_organisation(s, "zj", "浙江省文化厅", parent="ministry", kind="province")
        identity.create_organisation(s, "js", "江苏省文化厅", parent="ministry", kind="province")
        identity.create_organisation(s, "hz", "杭州市", parent="zj", kind="city")
        identity.create_organisation(s, "nj", "南京市", parent="js", kind="city")
        for name, display, org, role in [
                ("zj_staff", "王丽（浙江）", "zj", "province"), ("zj_staff2", "陈晨（浙江）", "zj", "province"),
                ("js_staff", "李强（江苏）", "js", "province"), ("hz_staff", "赵敏（杭州）", "hz", "city"),
                ("ministry_officer", "刘洋（文化部）", "ministry", "ministry"),
                ("auditor", "审计员", "ministry", "auditor"), ("admin", "管理员", "ministry", "admin")]:
            identity.create_user(s, name, password=PASSWORD, display_name=display,
                                 memberships=[(org, role)])


@pytest.fixture
def campaign_orgs(engine):
    """The engine with `demo_data` in it."""
    demo_data(engine)
    return engine


@pytest.fixture
def audit_history(campaign_orgs):
    """Two cases of plan_review, each with three audit events' worth of history."""
    engine = campaign_orgs
    engine.deploy(bpmn("plan_review.bpmn"))
    case_ids = []
    for _ in range(2):
        started = engine.start_case("plan_review", "zj_staff")
        done = engine.complete_task(started.tasks[0], "zj_staff", {"title": "原方案", "budget": 9})
        engine.complete_task(done.tasks[0], "ministry_officer", {"ok": True})
        case_ids.append(started.case_id)
    return engine, case_ids


def tamper(engine, *statements):
    """Rewrite rows as someone with database rights would (the append-only trigger off)."""
    with engine.db.engine.begin() as conn:
        if engine.db.dialect == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        for statement in statements:
            conn.execute(text(statement))


def hold_after_load(engine, thread_name: str):
    """Hold the command run by thread `thread_name` once it has locked and loaded its case,
    as Camunda's concurrency tests do. Returns (loaded, release): wait on the first, set
    the second to let the command go on."""
    loaded, release = threading.Event(), threading.Event()

    def hold(_case_id):
        if threading.current_thread().name == thread_name:
            loaded.set()
            assert release.wait(10)

    engine.on_case_loaded = hold
    return loaded, release


def interleave(loaded, release, held, waiter, why: str) -> None:
    """Start thread `held` and wait until it holds its case (`hold_after_load`), start
    `waiter` and check that it waits for the case's lock, then let both finish."""
    held.start()
    assert loaded.wait(10)
    waiter.start()
    waiter.join(0.5)
    assert waiter.is_alive(), why
    release.set()
    held.join(10)
    waiter.join(10)
