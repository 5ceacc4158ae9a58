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

from engine.case import verify
from engine.errors import Forbidden, NotFound
from engine.storage import AuditEvent, Case, IdentityEvent

#: Cases one batch verifies.
BATCH = 200

ALTERED, OUT_OF_ORDER, GAP, TRUNCATED, OTHER = "altered", "out_of_order", "gap", "truncated", "other"
#: What the seals and checkpoints find (engine.case.verify): a case or events they name are
#: gone, an event never sealed, an event under a key nobody has, a checkpoint that fails.
MISSING, UNSEALED, UNKNOWN_KEY, CHECKPOINT = "missing", "unsealed", "unknown-key", "checkpoint"


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
    reason, what = found.reason.lower(), getattr(found, "what", "")
    if what in (MISSING, UNSEALED, UNKNOWN_KEY, CHECKPOINT):
        return what
    if what == "removed" and "sealed at global sequence" in reason:
        return MISSING  # a sealed event is gone (the chain check names how)
    if found.seq is None:
        return TRUNCATED
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
                 limit: int = BATCH, checkpoints_dir=None) -> Batch:
    """Verify one chosen case, or the next `limit` cases after id `after`; the global
    sequence, the identity trail and the checkpoints are verified with the last batch of a
    run over every case."""
    require_auditor(actor)
    if case_id is not None:
        case = session.get(Case, case_id)
        if case is None:
            raise NotFound(f"Case {case_id} does not exist.")
        return Batch(1, 1, None, case_chain(session, case))
    total = session.scalar(select(func.count(Case.id)))
    done = session.scalar(select(func.count(Case.id)).where(Case.id <= after)) if after else 0
    cases = session.scalars(select(Case).where(Case.id > after).order_by(Case.id).limit(limit)).all()
    by_id = {case.id: case for case in cases}
    breaks = [_case_break(session, by_id[b.case_id], b) for b in verify.verify_cases(session, cases)]
    last = len(cases) < limit or done + len(cases) >= total
    batch = Batch(done + len(cases), total, None if last else cases[-1].id, breaks)
    if last:
        report = verify.Report()
        found = verify.verify_global(session, report, checkpoints_dir)
        batch.trail_events = report.identity_events
        batch.breaks += [_trail_break(session, b) if b.case_id is None else
                         Break(b.case_id, b.seq, what_of(b), b.reason) for b in found]
    return batch


def case_chain(session, case) -> list[Break]:
    """A case's own chain state, against its seals too: its breaks (none when intact)."""
    return [_case_break(session, case, b) for b in verify.verify_cases(session, [case])]


def _case_break(session, case, found) -> Break:
    event = None
    if found.seq is not None:
        event = session.scalar(select(AuditEvent).where(AuditEvent.case_id == case.id,
                                                        AuditEvent.seq == found.seq).limit(1))
    return Break(case.id, found.seq, what_of(found), found.reason, getattr(event, "kind", None),
                 getattr(event, "at", None), case.business_key)


def _trail_break(session, found) -> Break:
    event = None
    if found.seq is not None:
        event = session.scalar(select(IdentityEvent).where(IdentityEvent.seq == found.seq).limit(1))
    return Break(None, found.seq, what_of(found), found.reason, getattr(event, "kind", None),
                 getattr(event, "at", None))
