"""Audit verification in batches, for the auditors' page (/audit/verify).

The same check as `liandong verify-audit` (engine.case.audit.verify_chain for each case's
chain, engine.people.trail.verify for the identity trail), cut into batches of cases in id
order so a large database is verified by a run of short reads: each batch names the case
to continue after, and the caller (the page's script) asks for the next one and shows the
progress. Nothing is kept between batches, so any web worker answers any batch and a
closed page leaves nothing behind; a case's chain is always verified whole, in one read.
Each break is given with what it found in words a page can translate (`what`).
"""
from dataclasses import dataclass, field

from sqlalchemy import func, select

from engine.case.audit import verify_chain
from engine.errors import Forbidden, NotFound
from engine.people import trail
from engine.storage import AuditEvent, Case, IdentityEvent

#: Cases one batch verifies.
BATCH = 200

ALTERED, OUT_OF_ORDER, GAP, TRUNCATED, OTHER = "altered", "out_of_order", "gap", "truncated", "other"


@dataclass(frozen=True)
class Break:
    """One break: on case `case_id` (None: the identity trail) at event `seq` (None: the
    chain's head), `what` (altered, out_of_order, gap, truncated, other) and the engine's
    own words (`reason`); the event's kind and time when the event is still there."""

    case_id: int | None
    seq: int | None
    what: str
    reason: str
    event_kind: str | None = None
    at: object = None
    business_key: str | None = None


@dataclass
class Batch:
    checked: int
    total: int
    after: int | None  # the last case verified; None when every case is done
    breaks: list = field(default_factory=list)
    trail_events: int | None = None  # set on the last batch of a run over every case


def what_of(found) -> str:
    """Which kind of break the engine's reason names."""
    if found.seq is None:
        return TRUNCATED
    reason = found.reason.lower()
    if "altered" in reason or "mismatch" in reason:
        return ALTERED
    if "sequence" in reason:
        return GAP
    if "predecessor" in reason or "reordered" in reason or "removed" in reason:
        return OUT_OF_ORDER
    return OTHER


def require_auditor(actor) -> None:
    if not actor.reads_everything:
        raise Forbidden(f"'{actor.username}' may not verify the audit trail: only auditors "
                        "and administrators may.")


def verify_batch(session, actor, case_id: int | None = None, after: int = 0,
                 limit: int = BATCH) -> Batch:
    """Verify one chosen case, or the next `limit` cases after id `after`; the identity
    trail is verified with the last batch of a run over every case."""
    require_auditor(actor)
    if case_id is not None:
        case = session.get(Case, case_id)
        if case is None:
            raise NotFound(f"Case {case_id} does not exist.")
        return Batch(1, 1, None, _breaks(session, case, verify_chain(session, case)))
    total = session.scalar(select(func.count(Case.id)))
    done = session.scalar(select(func.count(Case.id)).where(Case.id <= after)) if after else 0
    cases = session.scalars(select(Case).where(Case.id > after).order_by(Case.id).limit(limit)).all()
    breaks = []
    for case in cases:
        breaks += _breaks(session, case, verify_chain(session, case))
    last = len(cases) < limit or done + len(cases) >= total
    batch = Batch(done + len(cases), total, None if last else cases[-1].id, breaks)
    if last:
        events, found = trail.verify(session)
        batch.trail_events = events
        batch.breaks += [_trail_break(session, b) for b in found]
    return batch


def case_chain(session, case) -> list[Break]:
    """A case's own chain state: its breaks (none when intact)."""
    return _breaks(session, case, verify_chain(session, case))


def _breaks(session, case, found) -> list[Break]:
    if not found:
        return []
    seqs = {b.seq for b in found if b.seq is not None}
    events = {e.seq: e for e in session.scalars(select(AuditEvent).where(
        AuditEvent.case_id == case.id, AuditEvent.seq.in_(seqs)))} if seqs else {}
    return [Break(case.id, b.seq, what_of(b), b.reason,
                  getattr(events.get(b.seq), "kind", None), getattr(events.get(b.seq), "at", None),
                  case.business_key) for b in found]


def _trail_break(session, found) -> Break:
    event = None
    if found.seq is not None:
        event = session.scalar(select(IdentityEvent).where(IdentityEvent.seq == found.seq).limit(1))
    return Break(None, found.seq, what_of(found), found.reason, getattr(event, "kind", None),
                 getattr(event, "at", None))
