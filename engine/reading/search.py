"""Searching cases: by process, version, organisation (and everything under it), stage, status,
person, date range and overdue, one page at a time, only among the cases the reader may see."""
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import exists, func, or_, select

from engine.errors import InvalidData
from engine.reading.history import with_labels
from engine.reading.inbox import visible_case_clause
from engine.storage import AuditEvent, Case, CaseTask, Organisation, ProcessModel, ProcessVersion

#: "failed": running but stopped by an error an operator has not yet retried or resolved.
STATUSES = ("running", "suspended", "failed", "completed", "terminated")
MAX_PER_PAGE = 200


@dataclass(frozen=True)
class CaseFilter:
    process_key: str | None = None
    version: int | None = None
    organisation: str | None = None  # an organisation code: the cases of it and below it
    stage: str | None = None
    status: str | None = None
    person: str | None = None  # started the case or acted in it
    started_from: date | None = None
    started_to: date | None = None  # inclusive
    overdue: bool = False
    has_error: bool = False  # an error not yet retried or resolved
    business_key: str | None = None

    @classmethod
    def from_args(cls, args) -> "CaseFilter":
        """From a query string / form mapping of text values; bad values raise InvalidData."""
        values = {}
        for f in fields(cls):
            raw = (args.get(f.name) or "").strip() if hasattr(args, "get") else ""
            if not raw:
                continue
            if f.name == "version":
                if not raw.isdigit():
                    raise InvalidData(f"Version must be a whole number, not '{raw}'.")
                values[f.name] = int(raw)
            elif f.name in ("started_from", "started_to"):
                try:
                    values[f.name] = date.fromisoformat(raw)
                except ValueError:
                    raise InvalidData(f"'{raw}' is not a date (YYYY-MM-DD).") from None
            elif f.name in ("overdue", "has_error"):
                values[f.name] = raw.lower() in ("1", "true", "yes", "on")
            else:
                values[f.name] = raw[:200]
        if values.get("status") and values["status"] not in STATUSES:
            raise InvalidData(f"Unknown status '{values['status']}'.")
        return cls(**values)

    def as_args(self) -> dict:
        """The non-empty filters as text, for links to other pages of the same search."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value not in (None, "", False):
                out[f.name] = "1" if value is True else str(value)
        return out


@dataclass
class SearchPage:
    cases: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def case_search_query(session, actor, flt: CaseFilter, now: datetime, tz=UTC):
    """The filtered, scoped SELECT of cases (unordered); `tz` reads the date range."""
    query = select(Case).where(visible_case_clause(actor))
    if flt.process_key:
        query = query.where(Case.process_key == flt.process_key)
    if flt.version is not None:
        versions = select(ProcessVersion.id).where(ProcessVersion.version == flt.version)
        query = query.where(Case.process_version_id.in_(versions))
    if flt.organisation:
        query = under_organisation(session, query, flt.organisation)
    if flt.stage:
        query = query.where(Case.stage == flt.stage)
    if flt.status == "failed":
        query = query.where(Case.status == "running", Case.last_error.is_not(None))
    elif flt.status:
        query = query.where(Case.status == flt.status)
    if flt.has_error:
        query = query.where(Case.last_error.is_not(None))
    if flt.business_key:
        query = query.where(Case.business_key == flt.business_key)
    if flt.person:
        acted = exists().where(AuditEvent.case_id == Case.id, AuditEvent.actor == flt.person)
        query = query.where(or_(Case.started_by == flt.person, acted))
    if flt.started_from:
        query = query.where(Case.started_at >= _day_start(flt.started_from, tz))
    if flt.started_to:
        query = query.where(Case.started_at < _day_start(flt.started_to + timedelta(days=1), tz))
    if flt.overdue:
        late = exists().where(CaseTask.case_id == Case.id, CaseTask.state == "ready",
                              CaseTask.due_at < now)
        query = query.where(late)
    return query


def search_cases(session, actor, flt: CaseFilter, now: datetime, page: int = 1,
                 per_page: int = 50, tz=UTC) -> SearchPage:
    """One page of matching cases, newest first, and how many match in all."""
    page, per_page = max(1, int(page)), min(MAX_PER_PAGE, max(1, int(per_page)))
    query = case_search_query(session, actor, flt, now, tz)
    total = session.scalar(select(func.count()).select_from(query.with_only_columns(Case.id).subquery()))
    rows = session.scalars(with_labels(query).order_by(Case.started_at.desc(), Case.id.desc())
                           .limit(per_page).offset((page - 1) * per_page)).all()
    return SearchPage(list(rows), total or 0, page, per_page)


def all_matching(session, actor, flt: CaseFilter, now: datetime, tz=UTC, batch=1000):
    """Every matching case, in pages of `batch`, for exports."""
    query = with_labels(case_search_query(session, actor, flt, now, tz)).order_by(Case.started_at.desc(), Case.id.desc())
    offset = 0
    while True:
        rows = session.scalars(query.limit(batch).offset(offset)).all()
        yield from rows
        if len(rows) < batch:
            return
        offset += batch


def _day_start(day: date, tz) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)


def filter_choices(session, actor) -> tuple[list[str], list[tuple[str, str]]]:
    """What the search form offers: every process key, and (code, name) of each
    organisation the person sees, in hierarchy order."""
    processes = list(session.scalars(select(ProcessModel.key).order_by(ProcessModel.key)))
    organisations = [(code, name) for code, name, path in session.execute(
        select(Organisation.code, Organisation.name, Organisation.path).order_by(Organisation.path))
        if actor.sees_path(path)]
    return processes, organisations


def under_organisation(session, query, code: str):
    """`query` narrowed to the cases of organisation `code` and those below it."""
    path = session.scalar(select(Organisation.path).where(Organisation.code == code))
    if path is None:
        raise InvalidData(f"No organisation with code '{code}'.")
    return query.where(Case.org_path.startswith(path))
