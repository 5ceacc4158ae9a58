"""What the operators watch: one heartbeat row per running scheduler."""
from sqlalchemy import Float, Integer, String
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


class InstanceClock(Base):
    """A training instance's clock: how far it runs ahead of the real time, shared by every
    web worker and scheduler (engine.ops.training). One row, `training`; none in production."""

    __tablename__ = "instance_clock"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    offset_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    moved_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)
    moved_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
