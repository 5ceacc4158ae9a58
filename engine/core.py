"""The Engine: one object that owns the database, clock, spec cache, forms and sandbox,
and exposes the engine's commands. Built once per process (or per test).

Every write the web app or the CLI makes is one of these methods, each its own transaction
with its permission checked inside; they only read through `engine.db.read()` sessions and
the read functions of engine.reading and engine.people.
"""
from engine.case.fired_timers import Overtaken
from engine.commands import (attachments, incidents, lifecycle, links, repair, start, start_timers, tasks,
                             timers)
from engine.reading import inbox as queries
from engine.clock import Clock, TrainingClock
from engine.clock import install as install_clock
from engine.config import Settings
from engine.models.forms import FormStore
from engine.people import accounts, admin, tokens
from engine.people import notifications as people_notifications
from engine.people.identity import SYSTEM_ACTOR, Actor, ActorCache
from engine.runtime.connectors import Registry
from engine.runtime.http_connector import http_connectors
from engine.sandbox import spiffarena
from engine.sandbox.isolated import script_engine
from engine.sandbox.scripts import Namespace
from engine.models.specs import SpecCache
from engine.storage.audit_keys import Keyring
from engine.storage.db import Database
from engine.ops import backup as backups
from engine.ops import training
from engine.ops import checkpoints
from engine.case import verify
from engine.ops.metrics import counted_commands


@counted_commands
class Engine:
    def __init__(self, settings: Settings | None = None, clock: Clock | None = None):
        self.settings = settings or Settings.from_env()
        self.clock = clock or Clock()
        if self.settings.training:  # the real time plus the offset every process shares
            self.clock = TrainingClock(self.clock, lambda: training.read_offset(self.db))
        install_clock(self.clock, self.settings.time_zone)
        self.audit_keys = Keyring(self.settings.audit_keys_path)
        self.db = Database(self.settings.database_url,
                           sqlite_synchronous=self.settings.sqlite_synchronous,
                           keyring=self.audit_keys)
        self.specs = SpecCache()
        #: The operators service tasks may name (`liandong connectors`).
        self.connectors = Registry(http_connectors(lambda: self.settings))
        self.script_engine = script_engine(
            self.settings, self.clock.now, {**spiffarena.TASK_HELPERS, **links.HELPERS},
            helpers=spiffarena.namespaces(self.clock.now, Namespace),
            services=self.connectors.service_caller())
        self.forms = FormStore(self.settings.forms_dir, sandbox=self.script_engine, db=self.db)
        #: What every save of a case also does, for rooms the case unit does not import.
        self.save_hooks = (links.SAVE_HOOK,)
        self.system_actor = SYSTEM_ACTOR
        self.actors = ActorCache(self.settings.actor_cache_seconds)
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
            return self.actors.resolve(session, who)

    def upgrade_schema(self) -> None:
        """Create or upgrade the database schema (Alembic); safe on every start. With
        `database_owner_url` set (PostgreSQL), as that owner, granting the app's role."""
        from engine.storage.schema import upgrade
        upgrade(self.db, self.settings.database_owner_url)

    # -- people (engine.people.admin, engine.people.accounts): admins only, on the identity trail

    def create_organisation(self, user, code, name, parent=None, kind="other", name_en=None) -> str:
        return admin.create_organisation(self, user, code, name, parent, kind, name_en)

    def create_user(self, user, username, password, display_name="", memberships=(), email=None,
                    locale="zh_CN") -> None:
        admin.create_user(self, user, username, password, display_name, memberships, email, locale)

    def update_user(self, user, username, display_name, email, locale, active, password=None) -> None:
        admin.update_user(self, user, username, display_name, email, locale, active, password)

    def add_membership(self, user, username, org_code, role) -> None:
        admin.add_membership(self, user, username, org_code, role)

    def remove_membership(self, user, username, membership_id) -> None:
        admin.remove_membership(self, user, username, membership_id)

    def import_organisations(self, path, user="system"):
        """Create or update organisations from a CSV file (engine.people.organisations)."""
        return admin.import_organisations(self, user, path)

    def sign_in(self, username, password, remote_addr, limit, window) -> accounts.SignIn:
        """Check a password, with the failed-attempt throttle's bookkeeping."""
        return accounts.sign_in(self, username, password, remote_addr, limit, window)

    def set_locale(self, user, locale) -> None:
        accounts.set_locale(self, user, locale)

    def sign_out(self, user) -> None:
        """End every web session of this person."""
        accounts.sign_out(self, user)

    def set_time_zone(self, user, time_zone) -> None:
        accounts.set_time_zone(self, user, time_zone)

    def change_password(self, user, current, new) -> accounts.Account:
        return accounts.change_password(self, user, current, new)

    def create_token(self, user, username, label="", days=None) -> str:
        return tokens.create_token(self, user, username, label, days)

    def list_tokens(self, user, username=None) -> list[tokens.TokenRow]:
        return tokens.list_tokens(self, user, username)

    def revoke_token(self, user, token_id) -> None:
        tokens.revoke_token(self, user, token_id)

    def token_actor(self, token) -> Actor | None:
        """The API caller a bearer token names, or None (unknown, revoked, expired)."""
        return tokens.actor_for_token(self, token)

    def mark_notifications_read(self, user, notification_ids=()) -> int:
        return people_notifications.mark_read_command(self, user, notification_ids)

    # -- models -----------------------------------------------------------------------------

    def deploy(self, files: dict[str, bytes], user="system", key=None, name=None, form_exists=None,
               forms=None, strict=None, category=None):
        """Deploy a model: `files` are a model folder's (BPMN, DMN, its forms and
        process_model.json, see engine.models.packages); `forms` (name -> schema) are more
        forms deployed with it; `strict` overrides the folder's strict setting."""
        return self.deploy_result(files, user, key, name, form_exists, forms, strict, category)[:4]

    def deploy_result(self, files, user="system", key=None, name=None, form_exists=None,
                      forms=None, strict=None, category=None):
        """`deploy`, answering (key, version, created, warnings, Deployment)."""
        from engine.models.packages import deploy_package, prepare
        from engine.models.versions import require_owner
        actor = self.actor(user)
        require_owner(actor, "deploy process models")
        package = prepare(files, forms, self.forms, strict)
        with self.db.transaction() as session:
            result = deploy_package(self, session, actor, package, key, name, form_exists, category)
            if result.created:
                start_timers.schedule_start_timers(self, session, result.version)
            return (result.version.model.key, result.version.version, result.created,
                    result.warnings, result)

    def check_model(self, files: dict, strict=None, forms=None):
        """(problems, what it calls from which deployed model) of a model folder's files
        (with `forms`, name -> schema, as the modeler sends them), as deploying them would
        find; nothing is written."""
        from engine.models.packages import check_package, prepare
        package = prepare(files, forms, self.forms, strict)
        with self.db.read() as session:
            return check_package(self, session, package)

    def deploy_model(self, user, files: dict, key=None):
        """Deploy diagrams with their forms (engine.models.drafts: the modeler's deploy)."""
        from engine.models.drafts import deploy_model
        return deploy_model(self, self.actor(user), files, key=key)

    def save_model_draft(self, user, key, files: dict, note="", base_version=None) -> int:
        from engine.models.drafts import save_draft
        return save_draft(self, self.actor(user), key, files, note=note, base_version=base_version)

    def versions(self, key):
        from engine.models.versions import list_versions
        with self.db.read() as session:
            return list_versions(session, key)

    def diff_versions(self, key, old: int, new: int):
        from engine.models.versions import diff_versions
        with self.db.read() as session:
            return diff_versions(self, session, key, old, new)

    def modeler_choices(self) -> dict:
        """What the modeler's properties panel offers: roles, deployed processes, decisions, forms."""
        from engine.models.choices import modeler_choices
        with self.db.read() as session:
            return modeler_choices(session, self.forms)

    def check_model_texts(self, items) -> list[dict]:
        """Live checks of expressions, scripts and timers as typed (engine.models.snippets)."""
        from engine.models.snippets import check_texts
        return check_texts(items, self.now())

    def migrate_cases(self, key, user, to_version=None, case_ids=None, dry_run=False):
        """Move running cases of `key` to a newer version (see engine.commands.case_migration)."""
        from engine.commands.case_migration import migrate_cases
        return migrate_cases(self, self.actor(user), key, to_version, case_ids, dry_run)

    # -- cases ------------------------------------------------------------------------------

    def start_case(self, process_key, user="system", data=None, **options):
        started = start.start_case(self, user, process_key, data, **options)
        if started.deliver:
            links.deliver_messages(self, around=[started.case_id])
        return started

    def complete_task(self, task_id, user, data=None, uploads=()):
        """Complete a task; `uploads` (from `stage_upload`) are attached in the same
        transaction, and drafts of the task discarded."""
        return self._delivering(tasks.complete_task, self, user, task_id, data, uploads)

    def _delivering(self, command, *args):
        """Run a completing command, then deliver what its case sent to linked cases, also
        when a deadline closed the task first (`Overtaken`: its path may have sent)."""
        try:
            done = command(*args)
        except Overtaken as late:
            if late.deliver:
                links.deliver_messages(self, around=[late.case_id])
            raise
        if done.deliver:
            links.deliver_messages(self, around=[done.case_id])
        return done

    def may_work(self, task_id, user) -> tasks.Refusal | None:
        """Why `user` may not complete the task now, or None when they may."""
        return tasks.may_work(self, user, task_id)

    def save_draft(self, task_id, user, data) -> None:
        tasks.save_draft(self, user, task_id, data)

    def stage_upload(self, filename, content) -> attachments.Staged:
        """Check an upload and put its bytes in the content-addressed store (no row yet)."""
        return attachments.stage(self, filename, content)

    def staged_again(self, sha256, name) -> attachments.Staged:
        return attachments.staged_again(self, sha256, name)

    def deliver_messages(self, case_ids=None) -> int:
        """Deliver pending messages between linked cases (all, or around `case_ids`); the
        timer scheduler calls this after firing, commands call it after they commit."""
        return links.deliver_messages(self, around=case_ids)

    def claim_task(self, task_id, user):
        tasks.claim_task(self, user, task_id)

    def unclaim_task(self, task_id, user):
        tasks.unclaim_task(self, user, task_id)

    def reassign_task(self, task_id, user, assignee, reason=""):
        """Hand an open task to a person holding its lane's role (admins; engine.commands.tasks)."""
        tasks.reassign_task(self, user, task_id, assignee, reason)

    def suspend_case(self, case_id, user, reason=""):
        lifecycle.suspend_case(self, self.actor(user), case_id, reason)

    def resume_case(self, case_id, user, reason=""):
        lifecycle.resume_case(self, self.actor(user), case_id, reason)
        links.deliver_messages(self, around=[case_id])

    def terminate_case(self, case_id, user, reason=""):
        lifecycle.terminate_case(self, self.actor(user), case_id, reason)

    def edit_case_data(self, case_id, user, changes: dict, reason: str, remove=()) -> dict:
        """An administrator corrects a case's data (engine.commands.repair); audited."""
        return repair.edit_case_data(self, self.actor(user), case_id, changes, reason, remove)

    def plan_case_data(self, case_id, user, data: dict) -> repair.DataEdit:
        """What saving `data` as the case's whole data would change, checked against the
        forms (nothing written): the page shows its diff before `replace_case_data`."""
        return repair.plan_data_edit(self, user, case_id, data)

    def replace_case_data(self, case_id, user, data: dict, reason: str, base: str | None = None) -> dict:
        """Make `data` the case's whole data (keys left out are removed); audited with the diff.
        `base` (the plan's) refuses the edit if the data changed since the diff was shown."""
        plan = repair.plan_data_edit(self, user, case_id, data)
        return repair.edit_case_data(self, self.actor(user), case_id, plan.changes, reason, plan.remove,
                                     base=base or plan.base)

    def retry_case(self, case_id, user, reason: str):
        """An administrator completes again the task whose completion failed."""
        return self._delivering(repair.retry_case, self, self.actor(user), case_id, reason)

    def case_data(self, case_id, user) -> dict:
        """The data of a case `user` may see, as its next step would see it."""
        from engine.reading.history import visible_case
        actor = self.actor(user)
        with self.db.read() as session:
            return repair.data_of_case(self, session, visible_case(session, actor, case_id))

    def case_repair(self, case_id, user):
        """What an administrator may do to a case (its data, a failed completion), or None."""
        from engine.reading.history import visible_case
        actor = self.actor(user)
        with self.db.read() as session:
            return repair.repair_view(self, session, actor, visible_case(session, actor, case_id))

    def tasks(self, user, **filters):
        actor = self.actor(user)
        with self.db.read() as session:
            return queries.tasks_for(session, actor, **filters)

    # -- timers -----------------------------------------------------------------------------

    def fire_due_timers(self, node="local"):
        """Fire every timer due now with the scheduler's own loop (one tick by hand): the
        messages the firings sent are delivered and the reminders mailed, as a tick does."""
        return timers.fire_due(self, node)

    def retry_incident(self, incident_id, user, data=None):
        return timers.retry_incident(self, self.actor(user), incident_id, data)

    # -- operators: incidents and timers by hand (engine.commands.incidents) -----------------

    def retry_incidents(self, user, keys, comment: str) -> dict:
        """Retry incidents named by key (`timer-<id>`, `case-<id>`), each its own command."""
        return incidents.retry_incidents(self, user, list(keys), comment)

    def resolve_incident(self, user, key: str, comment: str) -> None:
        incidents.resolve_incident(self, user, key, comment)

    def fire_timer_now(self, timer_id: int, user, reason: str) -> None:
        incidents.fire_timer_now(self, user, timer_id, reason)

    def incidents(self, user, case_id=None, **filters):
        """A page of open incidents (engine.reading.operations), with each element's name."""
        return incidents.incident_page(self, user, case_id, filters)

    def timer_list(self, user, view="pending", **filters):
        """A page of case timers (engine.reading.operations), with each element's name."""
        return incidents.timer_page(self, user, view, filters)

    def move_clock(self, user, to=None, to_next_timer=False) -> training.Moved:
        """On a training instance, an administrator moves the clock forward (to a date, or
        to the next waiting timer; engine.ops.training); what fell due fires at once, also
        the timers those firings set that are due too."""
        moved = training.move_clock(self, self.actor(user), to, to_next_timer)
        fired = 0
        for _round in range(50):
            result = timers.fire_due(self, "training-clock")
            fired += result.fired
            if not result.fired:
                break
        return training.Moved(moved.before, moved.after, fired)

    # -- auditors ---------------------------------------------------------------------------

    def verify_audit(self, user, case_id=None, after=0, limit=None):
        """Verify the audit chains batch by batch (engine.case.verifying): one chosen case,
        or the cases after id `after`; auditors and administrators only."""
        from engine.case import verifying
        actor = self.actor(user)
        with self.db.read() as session:
            return verifying.verify_batch(session, actor, case_id, after, limit or verifying.BATCH,
                                          self.settings.audit_checkpoints_path)

    def case_chain(self, case_id, user):
        """The breaks of one case's audit chain (none: intact), for whoever may see the case."""
        from engine.case import verifying
        from engine.reading.history import visible_case
        actor = self.actor(user)
        with self.db.read() as session:
            return verifying.case_chain(session, visible_case(session, actor, case_id))

    # -- operations -------------------------------------------------------------------------

    def backup(self, path):
        """Write the database and the uploads to one archive at `path` (engine.ops.backup),
        after a signed checkpoint of the audit chains' heads: the archive holds at least
        what it pins, so a restore of it verifies against it."""
        checkpoints.write(self, reason="backup")
        return backups.backup(self, path)

    # -- the audit trail's keys and checkpoints (outside the database) -----------------------

    def rotate_audit_key(self, user="system") -> str:
        """Chain new audit events under a new HMAC key; returns its id."""
        return admin.rotate_audit_key(self, user)

    def write_audit_checkpoint(self, reason="manual") -> checkpoints.Checkpoint:
        """Sign the chains' heads and write them to the checkpoints folder."""
        return checkpoints.write(self, reason)

    def verify_audit_all(self, user="system", case_id=None) -> verify.Report:
        """Every chain, the global sequence and the newest checkpoint in one read
        (engine.case.verify; `liandong verify-audit`); auditors and administrators only."""
        from engine.case.verifying import require_auditor
        require_auditor(self.actor(user))
        with self.db.read() as session:
            return verify.verify_all(session, self.settings.audit_checkpoints_path, case_id)

    def restore(self, path):
        """Restore an archive made by `backup` into this engine's empty database."""
        return backups.restore(self, path)

