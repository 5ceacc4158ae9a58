"""The global sequence: one keyed chain of seals across every case and the identity trail.

Each case's events are chained per case (engine.case.audit), the identity trail's on its own
chain (engine.people.trail). Per-chain links cannot show a case deleted whole, nor the last
events of a chain removed and its head mended. So every transaction that appended events
seals, just before it commits, the new head of each chain it touched: one `audit_seals` row
per chain (global sequence number `gseq`, chain, case id, head sequence and hash), each
HMAC-chained to the previous seal with the current audit key. A deleted case leaves seals
naming it; removed or rewritten seals break the seal chain or leave a gap in `gseq`; the tail
of the seals is pinned by the signed checkpoints written outside the database
(engine.ops.checkpoints).

**Why seals at commit, not a global number on each event.** A gapless number needs a
counter row locked until commit. Taken when the first event is chained, it would be held
across the rest of the command, and a command that also appends to a second case (a child
started, a message sent) could deadlock with one that locked that case first. Taken here,
as the transaction's last statements, it is the last lock any command takes (no cycle) and
is held only for the seal's insert and the commit; on SQLite writers are serialised anyway.
The cost is two round trips per committing command on PostgreSQL (the counter's SELECT ...
FOR UPDATE, then the seals' INSERT riding on the counter's UPDATE as CTEs; three statements
in process on SQLite), and on PostgreSQL commits that append audit events queue on the
counter row, one commit at a time.

`Database.transaction` runs the hook (`session.info["before_commit"]`); the keyring comes
from the session's `info["audit_keys"]` (set by the Engine on its Database).
"""
import json

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from .audit import AuditChain, AuditSeal

GLOBAL = "global"
GENESIS = "0" * 64
_CHAINS, _SEALS = AuditChain.__table__, AuditSeal.__table__
_READ_GLOBAL = select(_CHAINS.c.seq, _CHAINS.c.head).where(_CHAINS.c.name == GLOBAL)
_LOCK_GLOBAL = _READ_GLOBAL.with_for_update()
_MOVE_GLOBAL = update(_CHAINS).where(_CHAINS.c.name == GLOBAL)
_INSERT_SEALS = insert(_SEALS)
_SEAL_COLUMNS = [column.key for column in _SEALS.columns]
_SEAL_STATEMENTS: dict = {}  # PostgreSQL, by number of seals: built once each


def note(session: Session, chain: str, case_id: int | None, seq: int, head: str, at) -> None:
    """Remember that `chain` (of case `case_id`) now ends at `seq`/`head`; sealed at commit."""
    pending = session.info.get("audit_pending")
    if pending is None:
        pending = session.info["audit_pending"] = {}
        session.info.setdefault("before_commit", []).append(seal)
    pending[(chain, case_id)] = (seq, head, at)


def canonical(gseq: int, chain: str, case_id, seq: int, head: str, at) -> str:
    body = {"gseq": gseq, "chain": chain, "case_id": case_id, "seq": seq, "head": head,
            "at": at.isoformat()}
    return json.dumps(body, sort_keys=True, separators=(",", ":"))


def seal(session: Session) -> None:
    """Append the seals of the chains this transaction moved (the hook run before commit)."""
    pending = session.info.pop("audit_pending", None)
    if not pending:
        return
    keys = session.info.get("audit_keys")
    if keys is None:
        raise RuntimeError("audit events appended on a Database without an audit keyring")
    conn = session.connection()
    found = conn.execute(_LOCK_GLOBAL).one_or_none()
    if found is None:
        conn.execute(insert(_CHAINS).values(name=GLOBAL, seq=0, head=GENESIS))
        gseq, prev = 0, GENESIS
    else:
        gseq, prev = found
    key_id, rows = keys.current_id, []
    for (chain, case_id), (seq, head, at) in sorted(pending.items(), key=lambda i: (i[0][0], i[0][1] or 0)):
        gseq += 1
        mac = keys.mac(key_id, prev, canonical(gseq, chain, case_id, seq, head, at))
        rows.append({"gseq": gseq, "at": at, "chain": chain, "case_id": case_id, "seq": seq,
                     "head": head, "key_id": key_id, "prev_mac": prev, "mac": mac})
        prev = mac
    if conn.dialect.name != "postgresql":
        conn.execute(_INSERT_SEALS, rows)
        conn.execute(_MOVE_GLOBAL, {"seq": gseq, "head": prev})
        return
    statement = _SEAL_STATEMENTS.get(len(rows))
    if statement is None:  # one round trip: the seals' INSERTs ride on the head's UPDATE
        statement = _MOVE_GLOBAL.values(seq=bindparam("g_seq"), head=bindparam("g_head"))
        for number in range(len(rows)):
            statement = statement.add_cte(insert(_SEALS).values(
                {key: bindparam(f"s{number}_{key}", type_=_SEALS.c[key].type) for key in _SEAL_COLUMNS}
            ).cte(f"sealed_{number}"))
        _SEAL_STATEMENTS[len(rows)] = statement
    params = {"g_seq": gseq, "g_head": prev}
    for number, row in enumerate(rows):
        params.update({f"s{number}_{key}": value for key, value in row.items()})
    conn.execute(statement, params)


def head(session: Session) -> tuple[int, str]:
    """The global sequence's head: (last gseq, last seal's mac)."""
    found = session.connection().execute(_READ_GLOBAL).one_or_none()
    return (found.seq, found.head) if found is not None else (0, GENESIS)


def verify(session: Session, keys) -> tuple[list, list[tuple]]:
    """Walk the seals in order: (the seals, problems as (gseq, what, reason))."""
    seals = list(session.scalars(select(AuditSeal).order_by(AuditSeal.gseq)))
    problems, prev, expected = [], GENESIS, 1
    for row in seals:
        if row.gseq != expected:
            problems.append((row.gseq, "missing", f"global sequence jumps from {expected - 1} to "
                                                  f"{row.gseq} (seals removed)"))
        if row.prev_mac != prev:
            problems.append((row.gseq, "removed", "does not follow the seal before it "
                                                  "(seals removed or reordered)"))
        if not keys.known(row.key_id):
            problems.append((row.gseq, "unknown-key", f"sealed with unknown key {row.key_id!r}"))
        elif keys.mac(row.key_id, row.prev_mac, canonical(row.gseq, row.chain, row.case_id, row.seq,
                                                           row.head, row.at)) != row.mac:
            problems.append((row.gseq, "altered", "seal altered (its HMAC does not match)"))
        prev, expected = row.mac, row.gseq + 1
    last = (seals[-1].gseq, seals[-1].mac) if seals else (0, GENESIS)
    if head(session) != last:
        problems.append((None, "removed", f"the global head records {head(session)[0]} seals, "
                                          f"the table ends at {last[0]} (seals removed at the end?)"))
    return seals, problems


def verify_events(case_id, events, head_seq: int, head_hash: str, keys, link, make) -> list:
    """Walk one chain's events (a case's, or the identity trail's with `case_id` None),
    each linked by `link(prev_hash, event, keys)`; every break, made by
    `make(case_id, seq, reason, what)`."""
    breaks, prev, expected_seq, keyed = [], GENESIS, 1, False
    for event in events:
        if event.seq != expected_seq:
            breaks.append(make(case_id, event.seq, f"sequence jumps from {expected_seq - 1} to "
                                                   f"{event.seq} (events removed or reordered)", "removed"))
        if event.prev_hash != prev:
            breaks.append(make(case_id, event.seq, "does not follow its predecessor (removed or reordered)",
                               "reordered"))
        if event.key_id is None and keyed:
            breaks.append(make(case_id, event.seq, "unkeyed after keyed events (rewritten without the key)",
                               "altered"))
        elif event.key_id is not None and (keys is None or not keys.known(event.key_id)):
            breaks.append(make(case_id, event.seq, f"chained with unknown audit key {event.key_id!r}",
                               "unknown-key"))
        elif link(event.prev_hash, event, keys) != event.hash:
            breaks.append(make(case_id, event.seq, "content altered (hash mismatch)", "altered"))
        keyed = keyed or event.key_id is not None
        prev, expected_seq = event.hash, event.seq + 1
    if head_seq != len(events) or head_hash != prev:
        breaks.append(make(case_id, None, f"the head records {head_seq} events ending in {head_hash[:12]}, "
                                          f"the table holds {len(events)} ending in {prev[:12]} "
                                          "(events removed at the end?)", "removed"))
    return breaks
