"""The audit trail: every state change of a case appends one event, chained per case.

Each event's hash is HMAC-SHA256, under the current audit key (engine.storage.audit_keys,
kept outside the database; the event records its `key_id`), over its predecessor's hash and
the event's canonical JSON (sorted keys, no spaces, UTF-8), so altering, removing or
reordering any stored event breaks the chain from that point on, and `verify_chain` names
where; without the key nobody can recompute it. Events written before the keys (migration
0012) have no key id and a plain SHA-256 hash: they verify the old way, may only open a
chain (never follow a keyed event), and the first keyed event's link pins them. The case
row keeps the chain's head (sequence and hash); it is locked by the command that appends,
so two commands never append the same sequence number. Each transaction's new heads are
sealed in the global sequence at commit (engine.storage.ledger).
"""
import json
from dataclasses import dataclass
from types import SimpleNamespace

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from engine.storage import AuditEvent, Case, ledger
from engine.storage.audit_keys import legacy_hash

GENESIS = "0" * 64


def canonical(event) -> str:
    body = {
        "case_id": event.case_id, "seq": event.seq, "at": event.at.isoformat(),
        "actor": event.actor, "organisation": event.organisation, "kind": event.kind,
        "element_id": event.element_id, "task_id": event.task_id, "detail": event.detail,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def chain_hash(prev_hash: str, event, keys=None) -> str:
    """The event's link: HMAC under its key, or SHA-256 for a legacy event (no key id)."""
    key_id = getattr(event, "key_id", None)
    if key_id is None:
        return legacy_hash(prev_hash, canonical(event))
    return keys.mac(key_id, prev_hash, canonical(event))


def append(session: Session, case: Case, kind: str, actor, at, element_id=None, task_id=None,
           detail=None) -> SimpleNamespace:
    """Append one event to `case`'s chain; the caller holds the case's lock."""
    event = chain(case, kind, actor, at, element_id, task_id, detail, keys=session.info["audit_keys"])
    insert_events(session, [event])
    return event


def chain(case: Case, kind: str, actor, at, element_id=None, task_id=None,
          detail=None, *, keys) -> SimpleNamespace:
    """The next event of `case`'s chain, its HMAC computed with the current key of `keys`
    and the case's head moved on; `insert_events` writes it, in the same transaction."""
    event = SimpleNamespace(case_id=case.id, seq=case.audit_seq + 1, at=at, actor=actor.username,
                            organisation=actor.organisation_code, kind=kind, element_id=element_id,
                            task_id=task_id, detail=_plain(detail or {}),
                            prev_hash=case.audit_head or GENESIS, key_id=keys.current_id)
    event.hash = chain_hash(event.prev_hash, event, keys)
    case.audit_seq, case.audit_head = event.seq, event.hash
    return event


def insert_events(session: Session, events: list) -> None:
    """One Core statement for a command's events (an event is never changed after, so the
    ORM has nothing to track)."""
    session.connection().execute(_INSERT, [vars(event) for event in events])
    seal_later(session, events[-1])


def seal_later(session: Session, last) -> None:
    """Have the transaction seal the case's new head (`last` event) as it commits."""
    ledger.note(session, "case", last.case_id, last.seq, last.hash, last.at)


_INSERT = insert(AuditEvent.__table__)


@dataclass
class ChainBreak:
    case_id: int | None
    seq: int | None
    reason: str
    #: altered, removed, reordered, missing (a case or events the seals or a checkpoint
    #: name are gone), unsealed, unknown-key, or "" (older callers)
    what: str = ""
    #: whose: "case" (case_id), "identity" (the identity trail), "global" (the seals),
    #: "checkpoint"
    chain: str = "case"

    def __str__(self):
        if self.case_id is None:  # the global sequence, the identity trail, a checkpoint
            return self.reason
        where = f"event {self.seq}" if self.seq is not None else "chain head"
        return f"case {self.case_id}, {where}: {self.reason}"


def verify_chain(session: Session, case: Case) -> list[ChainBreak]:
    """Recompute `case`'s chain; every break found (altered, removed, reordered, truncated)."""
    events = session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id)
                             .order_by(AuditEvent.seq, AuditEvent.id)).all()
    return ledger.verify_events(case.id, events, case.audit_seq, case.audit_head or GENESIS,
                                session.info.get("audit_keys"), chain_hash, ChainBreak)


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
