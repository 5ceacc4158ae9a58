"""The audit trail: every state change of a case appends one event, hash-chained per case.

Each event's hash is SHA-256 over its predecessor's hash and the event's canonical JSON
(sorted keys, no spaces, UTF-8), so altering, removing or reordering any stored event
breaks the chain from that point on, and `verify_chain` names where. The case row keeps the
chain's head (sequence and hash); it is locked by the command that appends, so two commands
never append the same sequence number.
"""
import hashlib
import json
from dataclasses import dataclass
from types import SimpleNamespace

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from engine.storage import AuditEvent, Case

GENESIS = "0" * 64


def canonical(event) -> str:
    body = {
        "case_id": event.case_id, "seq": event.seq, "at": event.at.isoformat(),
        "actor": event.actor, "organisation": event.organisation, "kind": event.kind,
        "element_id": event.element_id, "task_id": event.task_id, "detail": event.detail,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def chain_hash(prev_hash: str, event) -> str:
    return hashlib.sha256((prev_hash + canonical(event)).encode("utf-8")).hexdigest()


def append(session: Session, case: Case, kind: str, actor, at, element_id=None, task_id=None,
           detail=None) -> SimpleNamespace:
    """Append one event to `case`'s chain; the caller holds the case's lock."""
    event = chain(case, kind, actor, at, element_id, task_id, detail)
    insert_events(session, [event])
    return event


def chain(case: Case, kind: str, actor, at, element_id=None, task_id=None,
          detail=None) -> SimpleNamespace:
    """The next event of `case`'s chain, its hash computed and the case's head moved on;
    `insert_events` writes it, in the same transaction."""
    event = SimpleNamespace(case_id=case.id, seq=case.audit_seq + 1, at=at, actor=actor.username,
                            organisation=actor.organisation_code, kind=kind, element_id=element_id,
                            task_id=task_id, detail=_plain(detail or {}),
                            prev_hash=case.audit_head or GENESIS)
    event.hash = chain_hash(event.prev_hash, event)
    case.audit_seq, case.audit_head = event.seq, event.hash
    return event


def insert_events(session: Session, events: list) -> None:
    """One Core statement for a command's events (an event is never changed after, so the
    ORM has nothing to track)."""
    session.connection().execute(_INSERT, [vars(event) for event in events])


_INSERT = insert(AuditEvent.__table__)


@dataclass
class ChainBreak:
    case_id: int
    seq: int | None
    reason: str

    def __str__(self):
        where = f"event {self.seq}" if self.seq is not None else "chain head"
        return f"case {self.case_id}, {where}: {self.reason}"


def verify_chain(session: Session, case: Case) -> list[ChainBreak]:
    """Recompute `case`'s chain; every break found (altered, removed, reordered, truncated)."""
    events = session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id)
                             .order_by(AuditEvent.seq, AuditEvent.id)).all()
    breaks, prev, expected_seq = [], GENESIS, 1
    for event in events:
        if event.seq != expected_seq:
            breaks.append(ChainBreak(case.id, event.seq,
                                     f"sequence jumps from {expected_seq - 1} to {event.seq} (events removed or reordered)"))
        if event.prev_hash != prev:
            breaks.append(ChainBreak(case.id, event.seq, "does not follow its predecessor (removed or reordered)"))
        if chain_hash(event.prev_hash, event) != event.hash:
            breaks.append(ChainBreak(case.id, event.seq, "content altered (hash mismatch)"))
        prev, expected_seq = event.hash, event.seq + 1
    if case.audit_seq != len(events) or (case.audit_head or GENESIS) != prev:
        breaks.append(ChainBreak(case.id, None,
                                 f"the case records {case.audit_seq} events ending in {case.audit_head[:12]}, "
                                 f"the table holds {len(events)} ending in {prev[:12]} (events removed at the end?)"))
    return breaks


def _plain(value):
    """JSON round trip so what is hashed now is exactly what is read back later."""
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


def verify_cases(session: Session, case_id: int | None = None) -> tuple[int, list[ChainBreak]]:
    """Verify one case's chain or every case's; returns (cases checked, breaks)."""
    query = select(Case).order_by(Case.id)
    if case_id is not None:
        query = query.where(Case.id == case_id)
    checked, breaks = 0, []
    for case in session.scalars(query):
        checked += 1
        breaks += verify_chain(session, case)
    return checked, breaks
