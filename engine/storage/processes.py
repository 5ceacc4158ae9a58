"""Deployed process models: one row per key, one per version, the version's files."""
from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow


class ProcessModel(Base):
    __tablename__ = "process_models"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
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
    primary_process_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200), default="")
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
