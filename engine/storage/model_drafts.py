"""Unsaved work of process owners: a model's files kept without deploying them."""
from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, JSONDoc, UTCDateTime, utcnow


class ModelDraft(Base):
    """One saved draft of a process model: its BPMN/DMN files and form definitions.

    `files` maps a file name to its text (forms as `forms/<name>.json`); drafts are never run,
    so nothing but the modeler and the deploy step reads them.
    """

    __tablename__ = "model_drafts"
    __table_args__ = (Index("ix_model_drafts_key", "process_key", "saved_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    process_key: Mapped[str] = mapped_column(String(255))
    base_version: Mapped[int | None] = mapped_column()
    files: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    note: Mapped[str] = mapped_column(String(500), default="")
    saved_by: Mapped[str] = mapped_column(String(80))
    saved_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
