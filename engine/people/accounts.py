"""Signing in and API tokens: the commands and reads the web app's sign-in, its user loader
and the REST API's bearer tokens use.

Failed sign-ins are counted per user name and address in the database, so the limit holds
across workers and hosts: after `limit` failures within `window` seconds, sign-in is refused
until the oldest of them leaves the window. A sign-in's bookkeeping (the check, the failure
row or clearing the count) is one transaction.
"""
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select

from engine.errors import Forbidden, NotFound
from engine.people import admin, identity, trail
from engine.storage import ApiToken, FailedSignIn, User


@dataclass(frozen=True)
class Account:
    """A person who may sign in: their Actor plus what the web session keeps."""

    user_id: int
    username: str
    display_name: str
    locale: str
    actor: identity.Actor


@dataclass(frozen=True)
class SignIn:
    """What a sign-in attempt came to: `account` when it succeeded, else `blocked` says
    whether the throttle refused it before the password was looked at."""

    account: Account | None
    blocked: bool = False


def _account(user: User) -> Account:
    return Account(user.id, user.username, user.display_name or user.username, user.locale,
                   identity.actor_for(user))


def _active(session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username, User.active.is_(True)))


def account(session, username: str) -> Account | None:
    """The active person named `username`, or None (a deactivated one is signed out)."""
    user = _active(session, username)
    return _account(user) if user is not None else None


def sign_in(engine, username: str, password: str, remote_addr: str, limit: int,
            window: int) -> SignIn:
    username, remote_addr = (username or "").strip()[:80], (remote_addr or "")[:64]
    now = engine.now()
    with engine.db.transaction() as session:
        since = now - timedelta(seconds=window)
        failures = session.scalar(select(func.count()).select_from(FailedSignIn).where(
            FailedSignIn.username == username, FailedSignIn.remote_addr == remote_addr,
            FailedSignIn.at > since))
        if failures >= limit:
            return SignIn(None, blocked=True)
        user = _active(session, username)
        if user is not None and identity.check_password(user, password or ""):
            session.execute(delete(FailedSignIn).where(FailedSignIn.username == username,
                                                       FailedSignIn.remote_addr == remote_addr))
            return SignIn(_account(user))
        session.add(FailedSignIn(username=username, remote_addr=remote_addr, at=now))
        # Old rows are of no use to anyone: drop them as we go.
        session.execute(delete(FailedSignIn).where(FailedSignIn.at < now - timedelta(seconds=window * 4)))
        return SignIn(None)


def set_locale(engine, user, locale: str) -> None:
    """A person's choice of language, kept on their user row (a preference: not audited)."""
    admin.check_locale(locale)
    actor = engine.actor(user)
    with engine.db.transaction() as session:
        row = _active(session, actor.username)
        if row is None:
            raise NotFound(f"No active user named '{actor.username}'.")
        row.locale = locale
    engine.actors.clear()


def change_password(engine, user, current: str, new: str) -> None:
    """A person changes their own password, proving the current one; on the trail."""
    actor = engine.actor(user)
    with engine.db.transaction() as session:
        row = _active(session, actor.username)
        if row is None:
            raise NotFound(f"No active user named '{actor.username}'.")
        if not identity.check_password(row, current or ""):
            raise Forbidden("The current password is wrong.")
        identity.set_password(row, new)
        trail.record(session, actor, engine.now(), "password_changed", row.username)


# -- API tokens ------------------------------------------------------------------------------

def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(engine, user, username: str, label: str = "") -> str:
    """A bearer token for `username`, returned once (only its SHA-256 is stored). A person
    makes their own; an administrator (or the CLI) anyone's."""
    actor = engine.actor(user)
    if actor.username != username:
        admin.require_admin(actor, "make API tokens for others")
    with engine.db.transaction() as session:
        owner = _active(session, username)
        if owner is None:
            raise NotFound(f"No active user named '{username}'.")
        token = "ld_" + secrets.token_urlsafe(32)
        session.add(ApiToken(user_id=owner.id, token_sha256=digest(token), label=(label or "")[:100]))
        trail.record(session, actor, engine.now(), "token_created", username, label=(label or "")[:100])
    return token


def actor_for_token(session, token: str):
    """The token's owner as an Actor, or None for an unknown, revoked or inactive one."""
    if not token or len(token) > 200:
        return None
    user = session.scalar(select(User).join(ApiToken, ApiToken.user_id == User.id).where(
        ApiToken.token_sha256 == digest(token), ApiToken.revoked.is_(False), User.active.is_(True)))
    return identity.actor_for(user) if user is not None else None
