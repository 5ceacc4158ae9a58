"""The audit trail: append-only, hash-chained per case (see engine.case.audit)."""
from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, JSONDoc, UTCDateTime, utcnow


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (UniqueConstraint("case_id", "seq"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(80), default="system", index=True)
    organisation: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(40))
    element_id: Mapped[str | None] = mapped_column(String(200))
    task_id: Mapped[str | None] = mapped_column(String(36))
    detail: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    #: The HMAC key that chained it (engine.storage.audit_keys); None: a legacy SHA-256 event.
    key_id: Mapped[str | None] = mapped_column(String(24))


class IdentityEvent(Base):
    """A change to who holds what (users, memberships, organisations, API tokens): these
    belong to no case, so they have a hash chain of their own (see engine.people.trail)."""

    __tablename__ = "identity_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(80), index=True)
    detail: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str | None] = mapped_column(String(24))


class AuditChain(Base):
    """The head of a chain that has no case row to keep it (today only "identity"): locked
    by the command that appends, as a case row is for its case's chain."""

    __tablename__ = "audit_chains"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    head: Mapped[str] = mapped_column(String(64))


class AuditSeal(Base):
    """The global sequence: each committed command's chain heads in one keyed chain across
    cases and the identity trail (see engine.storage.ledger). No foreign key: a seal must
    outlive a case someone deletes, to name it."""

    __tablename__ = "audit_seals"
    gseq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[object] = mapped_column(UTCDateTime)
    chain: Mapped[str] = mapped_column(String(40))
    case_id: Mapped[int | None] = mapped_column(Integer, index=True)
    seq: Mapped[int] = mapped_column(Integer)
    head: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(24))
    prev_mac: Mapped[str] = mapped_column(String(64))
    mac: Mapped[str] = mapped_column(String(64))
