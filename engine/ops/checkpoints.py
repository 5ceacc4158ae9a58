"""Signed checkpoints of the audit chains' heads, written outside the database.

A database writer who deletes the newest seals and mends the global head, or deletes a
whole case and its seals, leaves chains that verify on their own. A checkpoint pins what
existed: the global sequence's head, the identity trail's head and every case's head
(sequence and hash), signed with the Ed25519 key of engine.storage.audit_keys and written to
`audit_checkpoints_path` (default `<instance>/audit-checkpoints/`), one JSON file each:
`{"body": {...}, "signature": hex}` over the body's canonical JSON. The scheduler writes one
every `audit_checkpoint_minutes`, `backup` writes one beside every archive, and
`liandong audit-checkpoint` on demand. Copy the folder off the machine (or point the setting
at a mount another account owns) for it to outlive a compromise of this one.
"""
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select

from engine.storage import AuditChain, Case, ledger

FORMAT = 1
PATTERN = "checkpoint-*.json"


@dataclass(frozen=True)
class Checkpoint:
    path: Path
    body: dict

    @property
    def written_at(self) -> str:
        return self.body["written_at"]


def heads(session) -> dict:
    """What a checkpoint pins, read in `session`."""
    global_seq, global_head = ledger.head(session)
    identity = session.get(AuditChain, "identity")
    cases = session.execute(select(Case.id, Case.audit_seq, Case.audit_head).order_by(Case.id))
    return {"global": {"seq": global_seq, "head": global_head},
            "identity": {"seq": identity.seq if identity else 0,
                         "head": identity.head if identity else ledger.GENESIS},
            "cases": {str(row.id): [row.audit_seq, row.audit_head or ledger.GENESIS] for row in cases}}


def write(engine, reason: str = "manual") -> Checkpoint:
    """Sign the current heads and write them to a new file in the checkpoints folder."""
    with engine.db.read() as session:
        body = heads(session)
    key = engine.audit_keys.signing_key()
    now = engine.now()
    body.update(format=FORMAT, reason=reason, written_at=now.isoformat(),
                public_key=key.public_key().public_bytes(serialization.Encoding.Raw,
                                                         serialization.PublicFormat.Raw).hex())
    signature = key.sign(_canonical(body)).hex()
    folder = engine.settings.audit_checkpoints_path
    folder.mkdir(parents=True, exist_ok=True)
    name = (f"checkpoint-{now.strftime('%Y%m%dT%H%M%S%fZ')}-g{body['global']['seq']}"
            f"-{secrets.token_hex(3)}.json")
    path = folder / name
    temporary = path.with_name("." + name + ".tmp")
    temporary.write_text(json.dumps({"body": body, "signature": signature}, indent=1), "utf-8")
    os.replace(temporary, path)
    return Checkpoint(path, body)


def due(engine, seconds_since_last) -> bool:
    """Whether the scheduler should write one now (None: none written by this process)."""
    minutes = engine.settings.audit_checkpoint_minutes
    return minutes > 0 and (seconds_since_last is None or seconds_since_last >= minutes * 60)


def read_all(folder: Path, public_key) -> tuple[list[Checkpoint], list[tuple[str, str]]]:
    """Every checkpoint in `folder`, oldest first, whose signature holds under `public_key`;
    and (file name, why) for each one that does not."""
    good, bad = [], []
    for path in sorted(Path(folder).glob(PATTERN)):
        try:
            doc = json.loads(path.read_text("utf-8"))
            body, signature = doc["body"], bytes.fromhex(doc["signature"])
        except (ValueError, KeyError, TypeError):
            bad.append((path.name, "not a checkpoint file (unreadable)"))
            continue
        if public_key is None:
            bad.append((path.name, "no public key to check its signature with"))
            continue
        try:
            public_key.verify(signature, _canonical(body))
        except InvalidSignature:
            bad.append((path.name, "signature does not match (the file was altered)"))
            continue
        good.append(Checkpoint(path, body))
    good.sort(key=lambda checkpoint: (checkpoint.body["global"]["seq"], checkpoint.written_at))
    return good, bad


def _canonical(body: dict) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")
