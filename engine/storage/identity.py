"""Organisations in a hierarchy, users, their memberships (a role in an organisation), tokens."""
from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, JSONDoc, UTCDateTime, utcnow


class Organisation(Base):
    """A node of the hierarchy (Ministry office -> provinces -> cities; committees).

    `path` holds the codes from the root, "/ministry/p-zj/c-hangzhou/", so "everything under
    a province" is one indexed prefix match instead of a recursive query.
    """

    __tablename__ = "organisations"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32), default="other")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    path: Mapped[str] = mapped_column(String(1000), index=True)
    attributes: Mapped[dict] = mapped_column(JSONDoc, default=dict)

    parent = relationship("Organisation", remote_side=[id])


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(300))
    locale: Mapped[str] = mapped_column(String(16), default="zh_CN")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    #: Bumped by sign-out, a password change and deactivation: a web session carries the
    #: version it was signed in under and ends when they differ.
    session_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    memberships = relationship("Membership", back_populates="user", lazy="selectin",
                               cascade="all, delete-orphan", order_by="Membership.id")


class Membership(Base):
    """A role held in one organisation. A lane names a role (see engine.people.identity)."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "organisation_id", "role"),
                      Index("ix_memberships_role_org", "role", "organisation_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    role: Mapped[str] = mapped_column(String(64))

    user = relationship("User", back_populates="memberships")
    organisation = relationship("Organisation", lazy="joined")


class ApiToken(Base):
    """A bearer token for the REST API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    #: None only for tokens made before tokens expired (they keep working until revoked).
    expires_at: Mapped[object | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[object | None] = mapped_column(UTCDateTime)
