"""The Engine: one object that owns the database, clock, spec cache, forms and sandbox,
and exposes the engine's commands. Built once per process (or per test)."""
from contextlib import contextmanager

from . import cases, identity, lifecycle, queries
from .clock import Clock
from .clock import install as install_clock
from .config import Settings
from .deploy import deploy as deploy_files
from .forms import FormStore
from .identity import SYSTEM_ACTOR, Actor
from .sandbox import ScriptEngine
from .specs import SpecCache
from .storage.db import Database


class Engine:
    def __init__(self, settings: Settings | None = None, clock: Clock | None = None):
        self.settings = settings or Settings.from_env()
        self.clock = clock or Clock()
        install_clock(self.clock, self.settings.time_zone)
        self.db = Database(self.settings.database_url)
        self.specs = SpecCache()
        self.forms = FormStore(self.settings.forms_dir)
        self.script_engine = ScriptEngine(time_limit=self.settings.script_time_limit,
                                          clock=self.clock.now)
        self.system_actor = SYSTEM_ACTOR
        #: Test hook: called with the case id once a command holds the case's lock.
        self.on_case_loaded = None

    def now(self):
        return self.clock.now()

    def close(self):
        self.db.dispose()

    # -- identity ---------------------------------------------------------------------------

    def actor(self, who) -> Actor:
        if isinstance(who, Actor):
            return who
        with self.db.read() as session:
            return identity.load_actor(session, who)

    @contextmanager
    def session(self):
        with self.db.transaction() as session:
            yield session

    # -- models -----------------------------------------------------------------------------

    def deploy(self, files: dict[str, bytes], user="system", key=None, name=None):
        from .validation import check_files
        actor = self.actor(user)
        with self.db.transaction() as session:
            result = deploy_files(session, files, actor, key=key, name=name,
                                  check=lambda f: check_files(f, self.forms.exists))
            return result.version.model.key, result.version.version, result.created, result.warnings

    # -- cases ------------------------------------------------------------------------------

    def start_case(self, process_key, user="system", data=None, **options):
        return cases.start_case(self, self.actor(user), process_key, data, **options)

    def complete_task(self, task_id, user, data=None):
        return cases.complete_task(self, self.actor(user), task_id, data)

    def claim_task(self, task_id, user):
        cases.claim_task(self, self.actor(user), task_id)

    def unclaim_task(self, task_id, user):
        cases.unclaim_task(self, self.actor(user), task_id)

    def reassign_task(self, task_id, user, assignee):
        cases.reassign_task(self, self.actor(user), task_id, assignee)

    def suspend_case(self, case_id, user, reason=""):
        lifecycle.suspend_case(self, self.actor(user), case_id, reason)

    def resume_case(self, case_id, user, reason=""):
        lifecycle.resume_case(self, self.actor(user), case_id, reason)

    def terminate_case(self, case_id, user, reason=""):
        lifecycle.terminate_case(self, self.actor(user), case_id, reason)

    def tasks(self, user, **filters):
        actor = self.actor(user)
        with self.db.read() as session:
            return queries.tasks_for(session, actor, **filters)
