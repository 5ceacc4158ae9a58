"""Signing in and out: the commands and reads the web app's sign-in, its user loader and a
person's own settings use (API tokens are engine.people.tokens).

A web session carries the user's `session_version` from when it was signed in; signing out,
changing the password and deactivation bump it, so every session signed in before ends on
its next request, wherever its cookie is.

Failed sign-ins are counted per user name and address in the database, so the limit holds
across workers and hosts: after `limit` failures within `window` seconds, sign-in is refused
until the oldest of them leaves the window. A sign-in's bookkeeping (the check, the failure
row or clearing the count) is one transaction.
"""
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select, update

from engine.errors import Forbidden, InvalidData, NotFound
from engine.people import admin, identity, trail
from engine.storage import FailedSignIn, User


@dataclass(frozen=True)
class Account:
    """A person who may sign in: their Actor plus what the web session keeps."""

    user_id: int
    username: str
    display_name: str
    locale: str
    actor: identity.Actor
    session_version: int = 1


@dataclass(frozen=True)
class SignIn:
    """What a sign-in attempt came to: `account` when it succeeded, else `blocked` says
    whether the throttle refused it before the password was looked at."""

    account: Account | None
    blocked: bool = False


def _account(user: User) -> Account:
    return Account(user.id, user.username, user.display_name or user.username, user.locale,
                   identity.actor_for(user), user.session_version or 1)


def _active(session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username, User.active.is_(True)))


def account(session, username: str, session_version: int | None = None) -> Account | None:
    """The active person named `username`, or None (a deactivated one is signed out); with
    `session_version`, None too when their sessions have been ended since."""
    user = _active(session, username)
    if user is None or (session_version is not None and user.session_version != session_version):
        return None
    return _account(user)


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
        # An unknown name costs the same hash as a wrong password, so timing tells nothing.
        known = identity.check_password(user, password or "") if user is not None else \
            identity.check_dummy_password(password or "")
        if user is not None and known:
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
    _set_preference(engine, user, locale=locale)


def set_time_zone(engine, user, time_zone: str) -> None:
    """A person's time zone (an IANA name such as Asia/Shanghai): the dates the web app shows
    them are in it. A preference, kept on their user row; not audited."""
    check_time_zone(time_zone)
    _set_preference(engine, user, timezone=time_zone)


def _set_preference(engine, user, **columns) -> None:
    actor = engine.actor(user)
    with engine.db.transaction() as session:
        row = _active(session, actor.username)
        if row is None:
            raise NotFound(f"No active user named '{actor.username}'.")
        for column, value in columns.items():
            setattr(row, column, value)
    engine.actors.clear()


def check_time_zone(time_zone: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
    try:
        if not time_zone or len(time_zone) > 64:
            raise ValueError(time_zone)
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidData(f"'{time_zone}' is not a time zone (an IANA name such as Asia/Shanghai).",
                          {"time_zone": [f"'{time_zone}' is not a time zone."]}) from None
    return time_zone


def sign_out(engine, user) -> None:
    """End every web session of this person (all browsers and devices)."""
    actor = engine.actor(user)
    with engine.db.transaction() as session:
        end_sessions(session, actor.username)


def end_sessions(session, username: str) -> None:
    session.execute(update(User).where(User.username == username).values(
        session_version=User.session_version + 1))


def change_password(engine, user, current: str, new: str) -> Account:
    """A person changes their own password, proving the current one; on the trail. Every
    session of theirs ends; the returned Account signs the current one in again."""
    actor = engine.actor(user)
    with engine.db.transaction() as session:
        row = _active(session, actor.username)
        if row is None:
            raise NotFound(f"No active user named '{actor.username}'.")
        if not identity.check_password(row, current or ""):
            raise Forbidden("The current password is wrong.")
        identity.check_new_password(new)
        identity.set_password(row, new)
        row.session_version = (row.session_version or 1) + 1
        trail.record(session, actor, engine.now(), "password_changed", row.username)
        return _account(row)
