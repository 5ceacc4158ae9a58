"""Linked cases: which case started which, and the messages cases send each other.

A message is written to `case_messages` in the sender's transaction (an outbox) and
delivered to its target case in a transaction of its own, so a child never holds its
parent's lock and a message waits, pending, until its target is ready to catch it.
"""
from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, JSONDoc, UTCDateTime, utcnow


class CaseLink(Base):
    """A child case and the parent that started it; `message` is what its completion sends."""

    __tablename__ = "case_links"
    child_case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    parent_case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    message: Mapped[str] = mapped_column(String(200), default="child_completed")
    item_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)


class CaseMessage(Base):
    """A BPMN message from one case to another, pending until the target catches it."""

    __tablename__ = "case_messages"
    __table_args__ = (Index("ix_case_messages_pending", "status", "target_case_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    target_case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    source_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    name: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[object | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
