"""A case's history as an auditor reads it: every event, the path through the diagram, what is
open now, and the cases linked to it.

Everything comes from the query tables (audit events, task and timer rows), never from the
stored workflow state: the path is the concatenation of the `path` lists the engine wrote
into each event, so it is exactly what the hash chain vouches for.
"""
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import distinct, func, select, true
from sqlalchemy.orm import joinedload

from engine.errors import NotFound
from engine.reading.inbox import visible_case_clause
from engine.storage import AuditEvent, Case, CaseTask, Organisation, ProcessFile, ProcessVersion, Timer, User

#: How each event kind is shown and filtered: the engine's kinds, and the families of the
#: kinds other commands write (timers fired, migrations).
CATEGORIES = {
    "case_started": "start", "case_completed": "end", "case_terminated": "end",
    "task_completed": "task", "task_claimed": "assignment", "task_unclaimed": "assignment",
    "task_reassigned": "assignment", "case_suspended": "lifecycle", "case_resumed": "lifecycle",
    "error": "error", "file_attached": "file",
}


def category(kind: str) -> str:
    if kind in CATEGORIES:
        return CATEGORIES[kind]
    if kind.startswith("timer"):
        return "timer"
    if "migrat" in kind:
        return "migration"
    if "message" in kind or "child" in kind:
        return "link"
    return "other"


@dataclass
class FileRef:
    name: str
    sha256: str
    size: int | None = None
    content_type: str | None = None
    file_id: int | None = None


@dataclass
class Entry:
    """One audit event, ready to show: who (person, organisation), what, when, the diff."""

    seq: int
    at: object
    kind: str
    category: str
    actor: str
    actor_name: str
    organisation: str | None
    organisation_name: str | None
    element_id: str | None
    task_id: str | None
    task_name: str | None
    changes: list  # [(key, before, after)]
    submitted: dict
    files: list  # [FileRef]
    path: list
    opened: list
    message: str | None
    detail: dict
    hash: str


@dataclass
class CaseHistory:
    case: Case
    entries: list
    path: list  # element ids completed, in order
    counts: dict  # element id -> times completed
    active: list  # element ids open now (ready tasks, waiting timers)
    open_tasks: list
    waiting_timers: list
    parent: Case | None
    children: list = field(default_factory=list)

    @property
    def completed(self) -> set:
        return set(self.counts)

    @property
    def repeated(self) -> dict:
        return {element: n for element, n in self.counts.items() if n > 1}


def with_labels(query):
    """Load what a case is shown with (its version and organisation) in the same query."""
    return query.options(joinedload(Case.version), joinedload(Case.organisation))


def case_of_task(session, actor, task) -> Case:
    """The case of `task`, a task the actor may open (`inbox.task_for`): whoever may work on
    a task reads its case with it, also a case not theirs to see otherwise (the expert
    committee's grading task on an evaluation case the Ministry owns)."""
    case = session.scalar(with_labels(select(Case)).where(Case.id == task.case_id))
    if case is None:
        raise NotFound(f"Case {task.case_id} does not exist.")
    return case


def visible_case(session, actor, case_id: int) -> Case:
    """The case if the actor may see it; NotFound otherwise (no hint that it exists)."""
    case = session.scalar(with_labels(select(Case)).where(Case.id == case_id, visible_case_clause(actor)))
    if case is None:
        raise NotFound(f"Case {case_id} does not exist.")
    return case


def case_events(session, case_id: int) -> list[AuditEvent]:
    """A case's audit events in chain order (the caller checked the case is visible)."""
    return list(session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id)
                                .order_by(AuditEvent.seq)))


def case_history(session, actor, case_id: int) -> CaseHistory:
    case = visible_case(session, actor, case_id)
    events = case_events(session, case.id)
    people = _names(session, User.username, User.display_name, {e.actor for e in events})
    orgs = _names(session, Organisation.code, Organisation.name, {e.organisation for e in events})
    entries = [_entry(e, people, orgs) for e in events]
    path = [element for entry in entries for element in entry.path]
    open_tasks = session.scalars(select(CaseTask).where(CaseTask.case_id == case.id,
                                                        CaseTask.state == "ready")
                                 .order_by(CaseTask.created_at)).all()
    timers = session.scalars(select(Timer).where(Timer.case_id == case.id,
                                                 Timer.status.in_(("pending", "failed")))
                             .order_by(Timer.due_at)).all()
    active = list(dict.fromkeys([t.element_id for t in open_tasks] + [t.element_id for t in timers]))
    parent = None
    if case.parent_case_id is not None:
        parent = session.scalar(with_labels(select(Case)).where(Case.id == case.parent_case_id,
                                                   visible_case_clause(actor)))
    children = session.scalars(with_labels(select(Case)).where(Case.parent_case_id == case.id,
                                                  visible_case_clause(actor))
                               .order_by(Case.id)).all()
    return CaseHistory(case, entries, path, dict(Counter(path)), active, list(open_tasks),
                       list(timers), parent, list(children))


def _names(session, key_col, name_col, keys) -> dict:
    keys = {k for k in keys if k}
    if not keys:
        return {}
    return dict(session.execute(select(key_col, name_col).where(key_col.in_(keys))).all())


def _entry(event: AuditEvent, people: dict, orgs: dict) -> Entry:
    detail = event.detail or {}
    changes = detail.get("changes") or {}
    return Entry(
        seq=event.seq, at=event.at, kind=event.kind, category=category(event.kind),
        actor=event.actor, actor_name=people.get(event.actor) or event.actor,
        organisation=event.organisation, organisation_name=orgs.get(event.organisation),
        element_id=event.element_id, task_id=event.task_id, task_name=detail.get("task"),
        changes=[(key, pair[0], pair[1]) for key, pair in changes.items()
                 if isinstance(pair, list) and len(pair) == 2],
        submitted=detail.get("submitted") or detail.get("data") or {},
        files=list(find_files(detail)), path=list(detail.get("path") or []),
        opened=list(detail.get("opened") or []), message=detail.get("message") or detail.get("reason"),
        detail=detail, hash=event.hash)


def find_files(value, seen=None):
    """Every stored file an event mentions: any object carrying a 64-hex `sha256`."""
    seen = set() if seen is None else seen
    if isinstance(value, dict):
        digest = value.get("sha256")
        if isinstance(digest, str) and len(digest) == 64 and digest not in seen:
            seen.add(digest)
            yield FileRef(str(value.get("name") or value.get("filename") or digest[:12]), digest,
                          value.get("size"), value.get("content_type") or value.get("type"),
                          value.get("file_id") if isinstance(value.get("file_id"), int) else None)
        for key, inner in value.items():
            if key != "sha256":
                yield from find_files(inner, seen)
    elif isinstance(value, list):
        for inner in value:
            yield from find_files(inner, seen)


def element_counts(session, process_version_id: int, actor) -> Counter:
    """How many visible cases of a version passed each element (each case counted once),
    unnesting the events' `path` lists in the database (jsonb / json_each)."""
    if session.get_bind().dialect.name == "postgresql":
        element = func.jsonb_array_elements_text(AuditEvent.detail["path"]).table_valued("value").lateral()
    else:
        element = func.json_each(AuditEvent.detail, "$.path").table_valued("value")
    rows = session.execute(
        select(element.c.value, func.count(distinct(AuditEvent.case_id)))
        .select_from(AuditEvent).join(Case, Case.id == AuditEvent.case_id).join(element, true())
        .where(Case.process_version_id == process_version_id, visible_case_clause(actor))
        .group_by(element.c.value)).all()
    return Counter({str(value): n for value, n in rows})


def version_diagram(session, version_id: int) -> bytes:
    """The version's BPMN file holding its primary process (the diagram bpmn-js shows)."""
    version = session.get(ProcessVersion, version_id)
    if version is None:
        raise NotFound(f"Process version {version_id} does not exist.")
    files = session.scalars(select(ProcessFile).where(ProcessFile.process_version_id == version_id,
                                                      ProcessFile.name.like("%.bpmn"))).all()
    marker = f'id="{version.primary_process_id}"'.encode()
    chosen = next((f for f in files if marker in f.content), files[0] if files else None)
    if chosen is None:
        raise NotFound(f"Process version {version_id} has no BPMN diagram.")
    return chosen.content
