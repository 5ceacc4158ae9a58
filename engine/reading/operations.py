"""What operators watch: open incidents and the timers, filtered and one page at a time.

Administrators only (Forbidden otherwise). An incident is a timer out of retries (an
`incidents` row, key `timer-<id>`) or a case whose step failed in a script and is not yet
retried or resolved (`cases.last_error`, key `case-<id>`); see engine.commands.incidents.
"""
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, literal, or_, select, union_all

from engine.errors import Forbidden, InvalidData
from engine.people.identity import ADMIN
from engine.reading.search import under_organisation
from engine.storage import AuditEvent, Case, Incident, Membership, Organisation, Timer, User

MAX_PER_PAGE = 100
TIMER_VIEWS = ("pending", "failed", "fired")
#: How far back "recently fired" reaches.
RECENT = timedelta(days=7)


def require_operator(actor) -> None:
    if actor.is_auditor_only or not (actor.is_system or ADMIN in actor.roles):
        raise Forbidden(f"'{actor.username}' may not see incidents and timers.")


@dataclass(frozen=True)
class Filters:
    process_key: str | None = None
    organisation: str | None = None  # a code: its cases and those below it
    search: str | None = None  # case id, title, business key, element or error text
    page: int = 1
    per_page: int = 25


@dataclass
class Page:
    rows: list
    total: int
    page: int
    per_page: int
    names: dict = field(default_factory=dict)  # row -> element name (Engine fills it in)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _case_filters(session, query, flt: Filters, *text_columns):
    if flt.process_key:
        query = query.where(Case.process_key == flt.process_key)
    if flt.organisation:
        query = under_organisation(session, query, flt.organisation)
    if flt.search:
        term = flt.search.strip()
        like = f"%{term.lower()}%"
        clauses = [func.lower(c).like(like) for c in (Case.title, Case.business_key, *text_columns)]
        if term.lstrip("#").isdigit():
            clauses.append(Case.id == int(term.lstrip("#")))
        query = query.where(or_(*clauses))
    return query


def _bounds(flt: Filters) -> tuple[int, int]:
    return max(1, int(flt.page)), min(MAX_PER_PAGE, max(1, int(flt.per_page)))


@dataclass(frozen=True)
class IncidentRow:
    key: str
    kind: str  # timer | case
    case_id: int | None
    case_title: str
    process_key: str
    organisation: str
    process_version_id: int | None
    element_id: str | None
    message: str
    at: datetime | None
    attempts: int


def incidents(session, actor, flt: Filters = Filters(), case_id: int | None = None) -> Page:
    """Open incidents, oldest first."""
    require_operator(actor)
    timer_part = (select(literal("timer").label("kind"), Incident.id.label("number"),
                         Incident.case_id.label("case_id"), Incident.element_id.label("element_id"),
                         Incident.message.label("message"), Incident.created_at.label("at"),
                         literal(0).label("attempts"))
                  .join(Case, Case.id == Incident.case_id).where(Incident.resolved_at.is_(None)))
    timer_part = _case_filters(session, timer_part, flt, Incident.element_id, Incident.message)
    errors = select(func.count()).where(AuditEvent.case_id == Case.id, AuditEvent.kind == "error") \
        .correlate(Case).scalar_subquery()
    failed_at = select(func.max(AuditEvent.at)).where(AuditEvent.case_id == Case.id,
                                                      AuditEvent.kind == "error") \
        .correlate(Case).scalar_subquery()
    case_part = (select(literal("case").label("kind"), Case.id.label("number"), Case.id.label("case_id"),
                        Case.last_error_element.label("element_id"), Case.last_error.label("message"),
                        func.coalesce(failed_at, Case.updated_at).label("at"),
                        errors.label("attempts"))
                 .where(Case.last_error.is_not(None), Case.status.in_(("running", "suspended")),
                        ~_open_timer_incident()))
    case_part = _case_filters(session, case_part, flt, Case.last_error_element, Case.last_error)
    if case_id is not None:
        timer_part = timer_part.where(Incident.case_id == case_id)
        case_part = case_part.where(Case.id == case_id)
    both = union_all(timer_part, case_part).subquery()
    page, per_page = _bounds(flt)
    total = session.scalar(select(func.count()).select_from(both)) or 0
    rows = session.execute(select(both).order_by(both.c.at, both.c.kind, both.c.number)
                           .limit(per_page).offset((page - 1) * per_page)).all()
    cases = _cases(session, {r.case_id for r in rows})
    tries = _timer_attempts(session, [r.number for r in rows if r.kind == "timer"])
    out = []
    for r in rows:
        case = cases.get(r.case_id)
        case = case or ("", "", "", None)
        out.append(IncidentRow(f"{r.kind}-{r.number}", r.kind, r.case_id, case[0], case[1], case[2], case[3],
                               r.element_id,
                               r.message or "", r.at,
                               tries.get(r.number, 0) if r.kind == "timer" else int(r.attempts or 0)))
    return Page(out, total, page, per_page)


def _open_timer_incident():
    """The case has an open timer incident: its error is that one (not listed twice)."""
    return exists().where(Incident.case_id == Case.id, Incident.resolved_at.is_(None))


def _timer_attempts(session, ids) -> dict:
    if not ids:
        return {}
    return {i: int((d or {}).get("attempts") or 0)
            for i, d in session.execute(select(Incident.id, Incident.details).where(Incident.id.in_(ids)))}


def _cases(session, ids) -> dict:
    """{case id: (title, process key, organisation code, version id)}."""
    ids = [i for i in ids if i is not None]
    if not ids:
        return {}
    rows = session.execute(select(Case.id, Case.title, Case.process_key, Organisation.code,
                                  Case.process_version_id)
                           .outerjoin(Organisation, Organisation.id == Case.organisation_id)
                           .where(Case.id.in_(ids)))
    return {r.id: (r.title, r.process_key, r.code or "", r.process_version_id) for r in rows}


@dataclass(frozen=True)
class TimerRow:
    id: int
    case_id: int
    case_title: str
    process_key: str
    process_version_id: int
    organisation: str
    element_id: str
    kind: str
    status: str
    due_at: datetime
    fired_at: datetime | None
    late_seconds: float  # pending: how far past due it is now; fired: how late it fired
    node: str | None  # who fired it: a scheduler node, manual:<user>, or None (a command)
    attempts: int
    last_error: str | None


def timers(session, actor, now: datetime, view: str = "pending", flt: Filters = Filters()) -> Page:
    """Case timers: pending (soonest first), failed, or fired in the last week (latest first)."""
    require_operator(actor)
    if view not in TIMER_VIEWS:
        raise InvalidData(f"Unknown timer list '{view}'.")
    query = (select(Timer, Case.title, Case.process_key, Case.process_version_id, Organisation.code)
             .join(Case, Case.id == Timer.case_id)
             .outerjoin(Organisation, Organisation.id == Case.organisation_id))
    if view == "fired":
        query = query.where(Timer.status == "fired", Timer.fired_at >= now - RECENT)
        order = (Timer.fired_at.desc(), Timer.id.desc())
    else:
        query = query.where(Timer.status == view)
        order = (Timer.due_at, Timer.id)
    query = _case_filters(session, query, flt, Timer.element_id)
    page, per_page = _bounds(flt)
    total = session.scalar(select(func.count()).select_from(query.with_only_columns(Timer.id).subquery())) or 0
    rows = session.execute(query.order_by(*order).limit(per_page).offset((page - 1) * per_page)).all()
    out = []
    for timer, title, key, version_id, org in rows:
        until = timer.fired_at if timer.status == "fired" and timer.fired_at else now
        late = max(0.0, (until - timer.due_at).total_seconds())
        node = timer.claimed_by if timer.status == "fired" else None
        out.append(TimerRow(timer.id, timer.case_id, title, key, version_id, org or "", timer.element_id,
                            timer.kind, timer.status, timer.due_at, timer.fired_at, late, node,
                            timer.attempts, timer.last_error))
    return Page(out, total, page, per_page)


def open_incident_count(session) -> int:
    """For the navigation's badge: open incidents of both kinds, unscoped."""
    timers_open = session.scalar(select(func.count()).select_from(Incident)
                                 .where(Incident.resolved_at.is_(None))) or 0
    cases = session.scalar(select(func.count()).select_from(Case).where(
        and_(Case.last_error.is_not(None), Case.status.in_(("running", "suspended")),
             ~_open_timer_incident()))) or 0
    return timers_open + cases


def assignees(session, actor, lane: str | None, org_path: str, starter: str | None) -> list[tuple[str, str]]:
    """(user name, display name) of the active people who may work on a task of `lane` on a
    case of `org_path`: its role held on the case's branch (the starter, for no lane)."""
    require_operator(actor)
    if not lane:
        rows = session.execute(select(User.username, User.display_name)
                               .where(User.username == starter, User.active.is_(True)))
        return [(u, d or u) for u, d in rows]
    rows = session.execute(select(User.username, User.display_name, Organisation.path)
                           .join(Membership, Membership.user_id == User.id)
                           .join(Organisation, Organisation.id == Membership.organisation_id)
                           .where(Membership.role == lane, User.active.is_(True))
                           .order_by(User.username))
    found = {}
    for username, display, path in rows:
        if org_path.startswith(path) or path.startswith(org_path):
            found[username] = display or username
    return list(found.items())
