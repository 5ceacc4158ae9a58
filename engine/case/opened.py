"""One command on one case: lock it, load its workflow, apply, advance, save — or nothing.

`open_case` is the single place that owns a case's lock and decides what is written: the
state, the task and timer rows, the status and the audit event all go into the caller's
transaction, so they are committed together or not at all. A failure inside the engine
(a script error, a broken model) rolls everything back (see engine.case.failures).

This room imports nothing above it: what a save must also do for the commands (linked
cases and their messages, engine.commands.links) comes in as `SaveHook`s the Engine hands
over (`engine.save_hooks`), the way the sandbox gets its helpers.
"""
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from engine.case import audit, fired_timers, projection
from engine.case import rows as case_rows
from engine.case import script_context
from engine.case import writes as case_writes
from engine.errors import NotFound
from engine.runtime import cycles
from engine.runtime import state as serialization
from engine.runtime import workflow as runtime
from engine.storage import Case, CaseStage


def lock_case_of_task(session: Session, task_id: str) -> Case:
    """The case that task `task_id` belongs to, locked, found in one statement."""
    case = case_rows.lock(session, task_id=task_id)
    if case is None:
        raise NotFound(f"Task {task_id} does not exist.")
    return case


@dataclass(frozen=True)
class SaveHook:
    """Work that goes with every save of a case, done by a room above this one.

    `before(opened)` runs before the state is written (it may take what it acts on out of
    the workflow's data); a truthy result says `after` will write rows that refer to the
    case, so a new case's row is inserted at once. `after(opened, that result)` runs once
    the task and timer rows follow the state, in the same transaction; it may set
    `opened.deliver`.
    """
    before: Callable[[Any], Any]
    after: Callable[[Any, Any], None]


class OpenCase:
    """A locked case with its workflow loaded; the body of a command works on this.

    `workflow` is given for a case built or migrated in this command; `new` says no task
    row of it exists yet. Used as a context manager, it writes what is still unsent when
    the body ends without an error, so nothing set after the last `record` is lost.
    """

    def __init__(self, engine, session: Session, case: Case, actor, workflow=None, new=False):
        self.engine, self.session, self.actor = engine, session, actor
        self.case = case_rows.detach(session, case)
        self.seen = case_rows.snapshot(case)
        self.completion_recorded = case.status == "completed"  # `case_completed` once
        self.writes = case_writes.Writes()
        self.row_written, self.insert_with_writes = not new, False
        self.hooks: tuple[SaveHook, ...] = engine.save_hooks
        #: The case's status when the last `save` began (what it changed from).
        self.status_before_save = case.status
        #: Set by a save hook: messages between linked cases wait to be delivered once the
        #: command has committed. The command returns it to the Engine.
        self.deliver = False
        self.bundle = engine.specs.for_case(session, case)
        if workflow is None:
            workflow = runtime.load(case.state, self.bundle, engine.script_engine)
            self.open_before = frozenset(projection.ready_tasks(workflow))
        else:
            self.open_before = frozenset() if new else None
        self.workflow = workflow
        script_context.attach(self, workflow)
        self.path: list[str] = []
        self.finished_by: dict[str, str] = {}
        self.new_tasks = []
        # Timers due when loaded or before an advance: running a task may fire them too.
        self.due_timers = fired_timers.due(self, engine.now()) if self.bundle.has_timers else {}
        self.fired_saved: list[fired_timers.Fired] = []  # saved, their events not yet recorded
        #: How often each timer cycle may still fire in this command (engine.runtime.cycles).
        self.cycle_limits = cycles.Limits.of(engine.settings) if self.bundle.has_timers else None

    def __enter__(self):
        return self

    def __exit__(self, error_type, error, traceback) -> None:
        if error_type is None:
            self.write()

    def advance(self) -> None:
        if self.bundle.has_timers:
            for task, due in fired_timers.due(self, self.engine.now()).items():
                self.due_timers.setdefault(task, due)
        self.path.extend(runtime.advance(self.workflow, self.cycle_limits))

    def fired_task(self, task) -> bool:
        return any(f.task is task for f in fired_timers.fired(self.due_timers))

    def save(self) -> None:
        """Write the state and bring the query rows in step with it."""
        now = self.engine.now()
        case = self.case
        self.status_before_save = case.status
        hooked = [hook.before(self) for hook in self.hooks]
        case.state = serialization.dump_state(self.workflow, self.engine.settings.case_state_max_bytes)
        if case.status in ("running", "completed"):
            case.status = projection.case_status(self.workflow)
            if case.status == "completed" and case.ended_at is None:
                case.ended_at = now
        case.facts = serialization.dump_value(projection.facts(self.workflow))
        stage_before = case.stage
        case.stage = case.facts.get("stage") if isinstance(case.facts.get("stage"), str) else case.stage
        case.updated_at = now
        case.last_error = case.last_error_element = None
        if not self.row_written:  # a new case: inserted once, with its state
            self._insert(any(hooked), case.stage and case.stage != stage_before)
        firings = fired_timers.fired(self.due_timers) if self.due_timers else []
        if firings:  # before the rows follow the workflow: a cycle's next time gets a new one
            fired_timers.mark(self.session, case, firings, now)
            for firing in firings:
                del self.due_timers[firing.task]
            self.fired_saved += firings
        if case.stage and case.stage != stage_before:  # the dashboard's stage timeline
            self.session.add(CaseStage(case_id=case.id, stage=case.stage, reached_at=now))
        ready = projection.ready_tasks(self.workflow)
        self.new_tasks = projection.sync_tasks(self.session, case, ready, now, self.writes,
                                               self.finished_by, self.open_before)
        self.open_before = frozenset(ready)
        if not self.bundle.has_timers:
            pass  # no timer event anywhere in the model: no rows to keep in step
        elif case.status == "running":
            projection.sync_timers(self.session, case, self.workflow)
        else:
            projection.drop_all_timers(self.session, case)
        for hook, before in zip(self.hooks, hooked):
            hook.after(self, before)

    def _insert(self, hooked, new_stage) -> None:
        """Insert the new case's row now, or, when its id is reserved and nothing else this
        command adds needs the row before the command's end, with the other writes."""
        self.row_written = True
        if self.case.id is not None and not (hooked or new_stage or self.bundle.has_timers
                                             or self.bundle.catches_messages
                                             or self.case.parent_case_id):
            self.insert_with_writes = True
            return
        case_rows.insert_case(self.session, self.case)
        self.seen = case_rows.snapshot(self.case)

    def record(self, kind: str, element_id=None, task_id=None, **detail) -> None:
        """Append the command's event, then those of the timers it fired."""
        if self.path:
            detail.setdefault("path", list(self.path))
        if self.new_tasks:
            detail.setdefault("opened", [{"id": t.id, "element_id": t.element_id, "name": t.name,
                                          "lane": t.lane} for t in self.new_tasks])
        now = self.engine.now()
        self._append([(kind, element_id, task_id, detail)], now)

    def record_fired_timers(self, node=None) -> None:
        """Append the `timer_fired` events of the timers fired and saved so far."""
        self._append([], self.engine.now(), node)

    def _append(self, entries, now, node=None) -> None:
        entries = entries + fired_timers.record(self, self.fired_saved, now, node)
        self.fired_saved = []
        keys = self.session.info["audit_keys"]
        events = [audit.chain(self.case, kind, self.actor, now, element_id, task_id, detail, keys=keys)
                  for kind, element_id, task_id, detail in entries]
        if self.case.status == "completed" and not self.completion_recorded:
            events.append(audit.chain(self.case, "case_completed", self.actor, now, keys=keys))
            self.completion_recorded = True
        self.writes.events.extend(events)
        self.write()

    def write(self) -> None:
        """Send what changed on the case row with the rows queued beside it."""
        if not self.row_written:
            return
        if self.insert_with_writes:
            self.insert_with_writes = False
            case_writes.send_new(self.session, self.case, self.writes)
            self.seen = case_rows.snapshot(self.case)
        else:
            case_writes.send(self.session, self.case, self.seen, self.writes)


@contextmanager
def open_case(engine, session: Session, case_id: int, actor):
    case = case_rows.lock(session, case_id)
    if case is None:
        raise NotFound(f"Case {case_id} does not exist.")
    with open_locked(engine, session, case, actor) as opened:
        yield opened


@contextmanager
def open_locked(engine, session: Session, case: Case, actor):
    """Load the workflow of `case`, which this transaction has locked; what is unsent when
    the body ends is written then."""
    with OpenCase(engine, session, case, actor) as opened:
        if engine.on_case_loaded is not None:
            engine.on_case_loaded(case.id)
        yield opened
