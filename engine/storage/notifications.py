"""In-app notifications: reminders and escalations sent by timers to the people concerned."""
from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class Notification(Base):
    """One message to one person; `read_at` is set when they open it, `emailed_at` when the
    SMTP server accepted the mail (or `email_error` says why not)."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_inbox", "username", "read_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    task_id: Mapped[str | None] = mapped_column(String(36))
    timer_id: Mapped[int | None] = mapped_column(ForeignKey("timers.id"))
    element_id: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32), default="reminder")
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[object | None] = mapped_column(UTCDateTime)
    emailed_at: Mapped[object | None] = mapped_column(UTCDateTime)
    email_error: Mapped[str | None] = mapped_column(Text)
