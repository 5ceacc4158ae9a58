"""Tables the staff web app writes: failed sign-ins (the throttle), drafts, uploaded files."""
from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, JSONDoc, UTCDateTime, utcnow


class FailedSignIn(Base):
    """One refused sign-in; counted per user name and address to throttle guessing.

    Kept in the database, not in memory, so every worker and host sees the same count.
    """

    __tablename__ = "failed_sign_ins"
    __table_args__ = (Index("ix_failed_sign_ins_who", "username", "remote_addr", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80))
    remote_addr: Mapped[str] = mapped_column(String(64), default="")
    at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)


class Draft(Base):
    """Half-done work on a task's form, kept per person until they submit it."""

    __tablename__ = "drafts"
    __table_args__ = (UniqueConstraint("username", "task_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80))
    task_id: Mapped[str] = mapped_column(String(36), index=True)
    data: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    updated_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)


class Attachment(Base):
    """An uploaded file attached to a case; the bytes live in the store under their SHA-256."""

    __tablename__ = "files"
    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(120))
    original_name: Mapped[str] = mapped_column(String(255))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    task_id: Mapped[str | None] = mapped_column(String(36))
    uploaded_by: Mapped[str] = mapped_column(String(80))
    uploaded_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
