"""Bearer tokens: shown once when made, stored only as their SHA-256."""
import hashlib
import secrets

from sqlalchemy import select

from engine.people import identity
from engine.errors import NotFound
from engine.storage import ApiToken, User


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(session, username: str, label: str = "") -> str:
    user = session.scalar(select(User).where(User.username == username, User.active.is_(True)))
    if user is None:
        raise NotFound(f"No active user named '{username}'.")
    token = "ld_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_sha256=digest(token), label=label[:100]))
    session.flush()
    return token


def actor_for_token(session, token: str):
    """The token's owner as an Actor, or None for an unknown, revoked or inactive one."""
    if not token or len(token) > 200:
        return None
    user = session.scalar(select(User).join(ApiToken, ApiToken.user_id == User.id).where(
        ApiToken.token_sha256 == digest(token), ApiToken.revoked.is_(False), User.active.is_(True)))
    return identity.actor_for(user) if user is not None else None
