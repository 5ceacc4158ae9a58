"""The identity trail: changes to who holds what, hash-chained like a case's audit trail.

Creating a user, changing one, setting a password, adding or removing a role, creating an
organisation or an API token, or deploying a process model (`model_deployed`, with its
forms' digests), belongs to no case, yet auditors must be able to trace it
(who gave whom the reviewer's role, and when). These events get one chain of their own,
`identity`, rather than a pseudo-case: each event's hash is HMAC-SHA256 under the current
audit key over its predecessor's hash and its canonical JSON (legacy events, before
migration 0012, plain SHA-256: see engine.case.audit), sealed in the global sequence at
commit (engine.storage.ledger), and the chain's head (sequence and hash) lives in the
`audit_chains` row, which the appending command locks (FOR UPDATE on PostgreSQL; SQLite
serialises writers) the way a case row is locked for the case's chain. `verify` recomputes
it; `liandong verify-audit` runs it after the case chains. Passwords and tokens never enter
the trail, only that they were set.
"""
import json
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from engine.storage import AuditChain, IdentityEvent, ledger
from engine.storage.audit_keys import legacy_hash

CHAIN = "identity"
GENESIS = "0" * 64


def canonical(event) -> str:
    body = {"chain": CHAIN, "seq": event.seq, "at": event.at.isoformat(), "actor": event.actor,
            "kind": event.kind, "subject": event.subject, "detail": event.detail}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _hash(prev_hash: str, event, keys=None) -> str:
    if event.key_id is None:
        return legacy_hash(prev_hash, canonical(event))
    return keys.mac(event.key_id, prev_hash, canonical(event))


def record(session: Session, actor, at, kind: str, subject: str, /, **detail) -> IdentityEvent:
    """Append one event to the identity chain, inside the caller's transaction."""
    head = session.scalar(select(AuditChain).where(AuditChain.name == CHAIN).with_for_update())
    if head is None:
        head = AuditChain(name=CHAIN, seq=0, head=GENESIS)
        session.add(head)
    keys = session.info["audit_keys"]
    event = IdentityEvent(seq=head.seq + 1, at=at, actor=actor.username, kind=kind,
                          subject=subject[:80], prev_hash=head.head, key_id=keys.current_id,
                          detail=json.loads(json.dumps(detail, ensure_ascii=False, default=str)))
    event.hash = _hash(event.prev_hash, event, keys)
    session.execute(insert(IdentityEvent).values(
        seq=event.seq, at=event.at, actor=event.actor, kind=event.kind, subject=event.subject,
        detail=event.detail, prev_hash=event.prev_hash, hash=event.hash, key_id=event.key_id))
    head.seq, head.head = event.seq, event.hash
    session.flush()
    ledger.note(session, CHAIN, None, event.seq, event.hash, at)
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
    what: str = ""  # as engine.case.audit.ChainBreak's

    def __str__(self):
        where = f"event {self.seq}" if self.seq is not None else "chain head"
        return f"identity trail, {where}: {self.reason}"


def verify(session: Session) -> tuple[int, list[TrailBreak]]:
    """Recompute the chain; (events checked, every break found)."""
    rows = session.scalars(select(IdentityEvent).order_by(IdentityEvent.seq, IdentityEvent.id)).all()
    head = session.get(AuditChain, CHAIN)
    seq, head_hash = (head.seq, head.head) if head is not None else (0, GENESIS)
    breaks = ledger.verify_events(None, rows, seq, head_hash, session.info.get("audit_keys"), _hash,
                                  lambda _case, at, reason, what: TrailBreak(at, reason, what))
    return len(rows), breaks
