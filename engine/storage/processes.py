"""Deployed process models: one row per key, one per version, the version's files (its
BPMN and DMN diagrams and the JSON Schema forms deployed with it)."""
from sqlalchemy import ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, JSONDoc, UTCDateTime, utcnow

#: Process ids and keys: SpiffArena's can be long.
ID_LENGTH = 255


class ProcessModel(Base):
    __tablename__ = "process_models"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(ID_LENGTH), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    #: The process group it came from (SpiffArena's process_group.json), shown as a heading.
    category: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    versions = relationship("ProcessVersion", back_populates="model",
                            order_by="ProcessVersion.version")


class ProcessVersion(Base):
    """An immutable deployed version. `checksum` covers every file, so identical content
    deployed again is recognised and makes no new version."""

    __tablename__ = "process_versions"
    __table_args__ = (UniqueConstraint("process_model_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    process_model_id: Mapped[int] = mapped_column(ForeignKey("process_models.id"))
    version: Mapped[int] = mapped_column()
    checksum: Mapped[str] = mapped_column(String(64), index=True)
    primary_process_id: Mapped[str] = mapped_column(String(ID_LENGTH))
    name: Mapped[str] = mapped_column(String(200), default="")
    #: The process and decision ids this version's files define (other models may call them).
    provides: Mapped[list] = mapped_column(JSONDoc, default=list)
    #: The ids it calls that another model supplies -> that model's version id, pinned at
    #: deploy, so a redeploy of the callee changes no case of this version.
    calls: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    deployed_by: Mapped[str] = mapped_column(String(80), default="system")
    deployed_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)

    model = relationship("ProcessModel", back_populates="versions", lazy="joined")
    files = relationship("ProcessFile", back_populates="version", order_by="ProcessFile.name")


class ProcessFile(Base):
    __tablename__ = "process_files"
    __table_args__ = (UniqueConstraint("process_version_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_versions.id"))
    name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)

    version = relationship("ProcessVersion", back_populates="files")
