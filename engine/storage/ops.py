"""What the operators watch: one heartbeat row per running scheduler."""
from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class SchedulerHeartbeat(Base):
    """A scheduler node writes its row every few seconds; an old `beat_at` means the node is
    dead or cut off from the database, which otherwise shows only as late timers."""

    __tablename__ = "scheduler_heartbeats"
    node_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    host: Mapped[str] = mapped_column(String(200), default="")
    pid: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    beat_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    fired: Mapped[int] = mapped_column(Integer, default=0)
