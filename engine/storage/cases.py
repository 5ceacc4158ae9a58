"""Cases and the query tables written beside them: tasks, timers, incidents.

The case row holds the whole SpiffWorkflow state as JSON text; everything the inbox, the
scheduler or a search needs is in the narrow tables, so none of them reads the big state.
"""
from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, JSONDoc, UTCDateTime, utcnow


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_status_key", "status", "process_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_versions.id"), index=True)
    process_key: Mapped[str] = mapped_column(String(255))
    business_key: Mapped[str | None] = mapped_column(String(200), index=True)
    title: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(16), default="running")
    stage: Mapped[str | None] = mapped_column(String(64))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    org_path: Mapped[str] = mapped_column(String(1000), default="/", index=True)
    parent_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    started_by: Mapped[str] = mapped_column(String(80), default="system")
    started_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[object | None] = mapped_column(UTCDateTime)
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    facts: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    state: Mapped[str] = mapped_column(Text, deferred=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_element: Mapped[str | None] = mapped_column(String(200))
    audit_seq: Mapped[int] = mapped_column(Integer, default=0)
    audit_head: Mapped[str] = mapped_column(String(64), default="")
    #: Process or decision id -> the version of another model it runs in this case, when
    #: that differs from what its version pinned at deploy (engine.models.calls); else None.
    callees: Mapped[dict | None] = mapped_column(JSONDoc, nullable=True)

    version = relationship("ProcessVersion")
    organisation = relationship("Organisation")

    __mapper_args__ = {"version_id_col": lock_version}


class CaseTask(Base):
    """A human task of a case: open ones feed the inbox, finished ones stay for history."""

    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_inbox", "state", "lane", "org_path"),
        Index("ix_tasks_assignee", "assignee", "state"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    process_key: Mapped[str] = mapped_column(String(255))
    element_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(300), default="")
    lane: Mapped[str | None] = mapped_column(String(120))
    org_path: Mapped[str] = mapped_column(String(1000), default="/")
    form_schema: Mapped[str | None] = mapped_column(String(255))
    form_ui_schema: Mapped[str | None] = mapped_column(String(255))
    instructions: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="ready")
    starter: Mapped[str | None] = mapped_column(String(80))
    assignee: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[object | None] = mapped_column(UTCDateTime, index=True)
    completed_at: Mapped[object | None] = mapped_column(UTCDateTime)
    completed_by: Mapped[str | None] = mapped_column(String(80))

    case = relationship("Case", lazy="raise")


class Timer(Base):
    """A waiting timer of a case, or the timer start event of a deployed version."""

    __tablename__ = "timers"
    __table_args__ = (Index("ix_timers_due", "status", "due_at"),
                      Index("ix_timers_version", "process_version_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    process_version_id: Mapped[int | None] = mapped_column(ForeignKey("process_versions.id"))
    task_id: Mapped[str | None] = mapped_column(String(36))
    element_id: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    expression: Mapped[str] = mapped_column(String(500), default="")
    due_at: Mapped[object] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    claimed_at: Mapped[object | None] = mapped_column(UTCDateTime)
    fired_at: Mapped[object | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    #: After a failed attempt: not before this time (the backoff).
    retry_at: Mapped[object | None] = mapped_column(UTCDateTime)
    #: A start event's cycle: repetitions still to come (-1: forever).
    cycles_left: Mapped[int | None] = mapped_column(Integer)


class Incident(Base):
    """Something failed that needs a person: a timer out of retries, a failing script."""

    __tablename__ = "incidents"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    timer_id: Mapped[int | None] = mapped_column(ForeignKey("timers.id"))
    element_id: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[object | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(80))
    details: Mapped[dict] = mapped_column(JSONDoc, default=dict)
