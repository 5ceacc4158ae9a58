"""Verifying the whole audit trail: every chain, the global sequence, the latest checkpoint.

`verify_all` is what `liandong verify-audit` (and the auditors' verification page) runs:

1. each case's chain and the identity trail's (engine.case.audit, engine.people.trail):
   keyed links, legacy links only before keyed ones;
2. the seals (engine.storage.ledger): their own keyed chain and gapless global sequence;
   every seal must name an existing case whose event at the sealed sequence still has the
   sealed hash (a deleted case, or events removed from a chain's end and its head mended,
   show here), and a chain's newest keyed event must be sealed;
3. the checkpoints (engine.ops.checkpoints): every file's signature; the newest one's
   global head, identity head and case heads must all still be in the database.

Every problem is a `ChainBreak` (case id or None, event sequence or None, reason, what):
`what` is altered, removed, reordered, missing, unsealed, unknown-key or checkpoint;
`chain` says whose: case, identity, global (the seals) or checkpoint.
"""
from dataclasses import dataclass, field

from sqlalchemy import select

from engine.case.audit import ChainBreak, chain_hash
from engine.ops import checkpoints
from engine.people import trail
from engine.storage import AuditEvent, AuditSeal, Case, IdentityEvent, ledger


@dataclass
class Report:
    cases: int = 0
    identity_events: int = 0
    seals: int = 0
    checkpoint: str | None = None  # the newest valid checkpoint's file name
    breaks: list = field(default_factory=list)  # ChainBreak

    @property
    def intact(self) -> bool:
        return not self.breaks


def verify_all(session, checkpoints_dir=None, case_id: int | None = None) -> Report:
    """Verify everything (or one case's chain and seals); see the module's text."""
    report = Report()
    query = select(Case).order_by(Case.id)
    if case_id is not None:
        query = query.where(Case.id == case_id)
    cases = session.scalars(query).all()
    report.cases = len(cases)
    report.breaks += verify_cases(session, cases)
    if case_id is None:
        report.breaks += verify_global(session, report, checkpoints_dir)
    return report


def verify_cases(session, cases) -> list[ChainBreak]:
    """Each case's chain, and its events against the seals that name it (what one batch
    of the auditors' verification page checks)."""
    keys = session.info.get("audit_keys")
    ids = [case.id for case in cases]
    by_case: dict = {}
    if ids and keys is not None:
        for seal in session.scalars(select(AuditSeal).where(
                AuditSeal.chain == "case", AuditSeal.case_id.in_(ids)).order_by(AuditSeal.gseq)):
            by_case.setdefault(seal.case_id, []).append(seal)
    breaks = []
    for case in cases:
        events = session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id)
                                 .order_by(AuditEvent.seq, AuditEvent.id)).all()
        breaks += ledger.verify_events(case.id, events, case.audit_seq,
                                       case.audit_head or ledger.GENESIS, keys, chain_hash, ChainBreak)
        breaks += _against_seals(case.id, events, by_case.get(case.id, []))
    return breaks


def verify_global(session, report: Report, checkpoints_dir=None) -> list[ChainBreak]:
    """What no single case shows, checked once a run: the seals' own chain and gapless
    sequence, cases sealed but gone, the identity trail, and the checkpoints."""
    keys = session.info.get("audit_keys")
    seals, problems = ledger.verify(session, keys) if keys is not None else ([], [])
    report.seals = len(seals)
    breaks = [ChainBreak(None, None, f"global sequence {gseq}: {reason}" if gseq is not None else reason,
                         what, "global") for gseq, what, reason in problems]
    present = set(session.scalars(select(Case.id)))
    sealed: dict = {}
    for seal in seals:
        sealed.setdefault(seal.case_id if seal.chain == "case" else seal.chain, []).append(seal)
    for missing, its_seals in sorted(sealed.items(), key=lambda item: str(item[0])):
        if missing == trail.CHAIN or missing in present:
            continue
        breaks.append(ChainBreak(missing, None, f"case {missing} is missing: sealed at global "
                                 f"sequence {its_seals[-1].gseq} (deleted?)", "missing"))
    identity = session.scalars(select(IdentityEvent).order_by(IdentityEvent.seq, IdentityEvent.id)).all()
    report.identity_events, trail_breaks = trail.verify(session)
    breaks += [ChainBreak(None, b.seq, str(b), b.what, trail.CHAIN) for b in trail_breaks]
    breaks += [ChainBreak(None, b.seq, f"identity trail, event {b.seq}: {b.reason}", b.what, trail.CHAIN)
               for b in _against_seals(None, identity, sealed.get(trail.CHAIN, []))]
    if checkpoints_dir is not None:
        breaks += _against_checkpoints(session, report, checkpoints_dir, keys, present)
    return breaks


def _against_seals(case_id, events, seals) -> list[ChainBreak]:
    hashes = {event.seq: event.hash for event in events}
    breaks = []
    for seal in seals:
        found = hashes.get(seal.seq)
        if found is None:
            breaks.append(ChainBreak(case_id, seal.seq, f"missing: sealed at global sequence {seal.gseq} "
                                                        "(events removed from the end?)", "removed"))
        elif found != seal.head:
            breaks.append(ChainBreak(case_id, seal.seq, f"differs from its seal at global sequence "
                                                        f"{seal.gseq} (rewritten)", "altered"))
    keyed = [event for event in events if event.key_id is not None]
    newest_sealed = max((seal.seq for seal in seals), default=0)
    if keyed and keyed[-1].seq > newest_sealed:
        breaks.append(ChainBreak(case_id, keyed[-1].seq, "never sealed in the global sequence "
                                                         "(written outside the engine)", "unsealed"))
    return breaks


def _against_checkpoints(session, report, folder, keys, present) -> list[ChainBreak]:
    good, bad = checkpoints.read_all(folder, keys.public_key() if keys is not None else None)
    breaks = [ChainBreak(None, None, f"checkpoint {name}: {why}", "checkpoint", "checkpoint")
              for name, why in bad]
    if not good:
        return breaks
    latest = good[-1]
    report.checkpoint = latest.path.name
    body, where = latest.body, f"(checkpoint {latest.path.name})"
    gseq, ghead = body["global"]["seq"], body["global"]["head"]
    seal = session.get(AuditSeal, gseq) if gseq else None
    if gseq and (seal is None or seal.mac != ghead):
        breaks.append(ChainBreak(None, None, f"global sequence {gseq} {where} is "
                                 + ("missing (seals removed)" if seal is None else "altered"),
                                 "missing" if seal is None else "altered", "global"))
    seq, head = body["identity"]["seq"], body["identity"]["head"]
    if seq and session.scalar(select(IdentityEvent.hash).where(IdentityEvent.seq == seq)) != head:
        breaks.append(ChainBreak(None, seq, f"identity trail, event {seq} {where}: missing or altered",
                                 "removed", trail.CHAIN))
    for key, (seq, head) in body["cases"].items():
        case_id = int(key)
        if case_id not in present:
            breaks.append(ChainBreak(case_id, None, f"case {case_id} is missing {where}", "missing"))
        elif seq and session.scalar(select(AuditEvent.hash).where(
                AuditEvent.case_id == case_id, AuditEvent.seq == seq)) != head:
            breaks.append(ChainBreak(case_id, seq, f"event {seq} {where} is missing or altered", "removed"))
    return breaks

