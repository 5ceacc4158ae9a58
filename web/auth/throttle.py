"""Failed sign-ins are counted per user name and address in the database, so the limit holds
across workers and hosts: after `limit` failures within `window`, sign-in is refused until
the oldest of them leaves the window."""
from datetime import timedelta

from sqlalchemy import delete, func, select

from engine.storage import FailedSignIn


def is_blocked(session, username: str, remote_addr: str, now, limit: int, window: int) -> bool:
    since = now - timedelta(seconds=window)
    count = session.scalar(select(func.count()).select_from(FailedSignIn).where(
        FailedSignIn.username == username, FailedSignIn.remote_addr == remote_addr,
        FailedSignIn.at > since))
    return count >= limit


def record_failure(session, username: str, remote_addr: str, now, window: int) -> None:
    session.add(FailedSignIn(username=username[:80], remote_addr=remote_addr[:64], at=now))
    # Old rows are of no use to anyone: drop them as we go.
    session.execute(delete(FailedSignIn).where(FailedSignIn.at < now - timedelta(seconds=window * 4)))


def clear(session, username: str, remote_addr: str) -> None:
    session.execute(delete(FailedSignIn).where(FailedSignIn.username == username,
                                               FailedSignIn.remote_addr == remote_addr))
