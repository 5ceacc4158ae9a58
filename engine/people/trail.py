"""The identity trail: changes to who holds what, hash-chained like a case's audit trail.

Creating a user, changing one, setting a password, adding or removing a role, creating an
organisation or an API token, or deploying a process model (`model_deployed`, with its
forms' digests), belongs to no case, yet auditors must be able to trace it
(who gave whom the reviewer's role, and when). These events get one chain of their own,
`identity`, rather than a pseudo-case: each event's hash is SHA-256 over its predecessor's
hash and its canonical JSON, and the chain's head (sequence and hash) lives in the
`audit_chains` row, which the appending command locks (FOR UPDATE on PostgreSQL; SQLite
serialises writers) the way a case row is locked for the case's chain. `verify` recomputes
it; `liandong verify-audit` runs it after the case chains. Passwords and tokens never enter
the trail, only that they were set.
"""
import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from engine.storage import AuditChain, IdentityEvent

CHAIN = "identity"
GENESIS = "0" * 64


def _canonical(event) -> str:
    body = {"chain": CHAIN, "seq": event.seq, "at": event.at.isoformat(), "actor": event.actor,
            "kind": event.kind, "subject": event.subject, "detail": event.detail}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _hash(prev_hash: str, event) -> str:
    return hashlib.sha256((prev_hash + _canonical(event)).encode("utf-8")).hexdigest()


def record(session: Session, actor, at, kind: str, subject: str, /, **detail) -> IdentityEvent:
    """Append one event to the identity chain, inside the caller's transaction."""
    head = session.scalar(select(AuditChain).where(AuditChain.name == CHAIN).with_for_update())
    if head is None:
        head = AuditChain(name=CHAIN, seq=0, head=GENESIS)
        session.add(head)
    event = IdentityEvent(seq=head.seq + 1, at=at, actor=actor.username, kind=kind,
                          subject=subject[:80], prev_hash=head.head,
                          detail=json.loads(json.dumps(detail, ensure_ascii=False, default=str)))
    event.hash = _hash(event.prev_hash, event)
    session.execute(insert(IdentityEvent).values(
        seq=event.seq, at=event.at, actor=event.actor, kind=event.kind, subject=event.subject,
        detail=event.detail, prev_hash=event.prev_hash, hash=event.hash))
    head.seq, head.head = event.seq, event.hash
    session.flush()
    return event


def events(session: Session, subject: str | None = None, limit: int = 500) -> list[IdentityEvent]:
    """The trail, newest first (one subject's, or everyone's)."""
    query = select(IdentityEvent)
    if subject is not None:
        query = query.where(IdentityEvent.subject == subject)
    return list(session.scalars(query.order_by(IdentityEvent.seq.desc()).limit(limit)))


@dataclass
class TrailBreak:
    seq: int | None
    reason: str

    def __str__(self):
        where = f"event {self.seq}" if self.seq is not None else "chain head"
        return f"identity trail, {where}: {self.reason}"


def verify(session: Session) -> tuple[int, list[TrailBreak]]:
    """Recompute the chain; (events checked, every break found)."""
    rows = session.scalars(select(IdentityEvent).order_by(IdentityEvent.seq, IdentityEvent.id)).all()
    breaks, prev, expected = [], GENESIS, 1
    for event in rows:
        if event.seq != expected:
            breaks.append(TrailBreak(event.seq, f"sequence jumps from {expected - 1} to {event.seq} "
                                                "(events removed or reordered)"))
        if event.prev_hash != prev:
            breaks.append(TrailBreak(event.seq, "does not follow its predecessor (removed or reordered)"))
        if _hash(event.prev_hash, event) != event.hash:
            breaks.append(TrailBreak(event.seq, "content altered (hash mismatch)"))
        prev, expected = event.hash, event.seq + 1
    head = session.get(AuditChain, CHAIN)
    seq, head_hash = (head.seq, head.head) if head is not None else (0, GENESIS)
    if seq != len(rows) or head_hash != prev:
        breaks.append(TrailBreak(None, f"the head records {seq} events ending in {head_hash[:12]}, "
                                       f"the table holds {len(rows)} ending in {prev[:12]} "
                                       "(events removed at the end?)"))
    return len(rows), breaks
