"""API tokens: made, listed and revoked by their owner (or an administrator), each with an
expiry; the REST API turns a bearer token into its owner's Actor here.

Only a token's SHA-256 is stored, so the token itself is shown once, when it is made.
"""
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update

from engine.errors import InvalidData, NotFound
from engine.people import admin, identity, trail
from engine.storage import ApiToken, User

#: A token's last use is written at most this often, so the API does not write on every call.
LAST_USED_RESOLUTION = timedelta(minutes=5)


@dataclass(frozen=True)
class TokenRow:
    """One token as its list shows it (never the token itself)."""

    id: int
    username: str
    label: str
    created_at: object
    expires_at: object | None
    last_used_at: object | None
    revoked: bool

    def state(self, now) -> str:
        """'revoked', 'expired' or 'active'."""
        if self.revoked:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _active_user(session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username, User.active.is_(True)))
    if user is None:
        raise NotFound(f"No active user named '{username}'.")
    return user


def _may_manage(actor, username: str, doing: str) -> None:
    if actor.username != username:
        admin.require_admin(actor, doing)


def create_token(engine, user, username: str, label: str = "", days: int | None = None) -> str:
    """A bearer token for `username` valid for `days` (the instance's default when None),
    returned once. A person makes their own; an administrator (or the CLI) anyone's."""
    actor = engine.actor(user)
    _may_manage(actor, username, "make API tokens for others")
    longest = engine.settings.api_token_max_days
    days = engine.settings.api_token_days if days is None else days
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= longest:
        raise InvalidData(f"A token lasts 1 to {longest} days.",
                          {"days": [f"A token lasts 1 to {longest} days."]})
    label = (label or "").strip()[:100]
    now = engine.now()
    with engine.db.transaction() as session:
        owner = _active_user(session, username)
        token = "ld_" + secrets.token_urlsafe(32)
        expires = now + timedelta(days=days)
        session.add(ApiToken(user_id=owner.id, token_sha256=digest(token), label=label,
                             created_at=now, expires_at=expires))
        trail.record(session, actor, now, "token_created", username, label=label,
                     expires_at=expires.isoformat())
    return token


def list_tokens(engine, user, username: str | None = None) -> list[TokenRow]:
    """A person's own tokens; an administrator may ask for anyone's, or everyone's
    (`username` None)."""
    actor = engine.actor(user)
    if username is None and not actor.has_role(identity.ADMIN):
        username = actor.username
    if username is not None:
        _may_manage(actor, username, "see other people's API tokens")
    query = select(ApiToken, User.username).join(User, User.id == ApiToken.user_id)
    if username is not None:
        query = query.where(User.username == username)
    with engine.db.read() as session:
        rows = session.execute(query.order_by(ApiToken.created_at.desc(), ApiToken.id.desc())).all()
    return [TokenRow(t.id, name, t.label, t.created_at, t.expires_at, t.last_used_at, t.revoked)
            for t, name in rows]


def revoke_token(engine, user, token_id: int) -> None:
    """Revoke one token: its owner or an administrator; on the identity trail."""
    actor = engine.actor(user)
    with engine.db.transaction() as session:
        row = session.execute(select(ApiToken, User.username).join(
            User, User.id == ApiToken.user_id).where(ApiToken.id == token_id)).first()
        if row is None:
            raise NotFound(f"There is no API token numbered {token_id}.")
        token, owner = row
        _may_manage(actor, owner, "revoke other people's API tokens")
        if token.revoked:
            return
        token.revoked = True
        trail.record(session, actor, engine.now(), "token_revoked", owner, label=token.label,
                     token_id=token.id)


def actor_for_token(engine, token: str):
    """The token's owner as an Actor, or None for an unknown, revoked, expired or inactive
    one. Notes the token's last use (at most every few minutes)."""
    if not token or len(token) > 200:
        return None
    now = engine.now()
    with engine.db.read() as session:
        found = session.execute(select(User, ApiToken.id, ApiToken.last_used_at).join(
            ApiToken, ApiToken.user_id == User.id).where(
            ApiToken.token_sha256 == digest(token), ApiToken.revoked.is_(False),
            User.active.is_(True))).first()
        if found is None:
            return None
        user, token_id, last_used = found
        expires = session.scalar(select(ApiToken.expires_at).where(ApiToken.id == token_id))
        if expires is not None and expires <= now:
            return None
        actor = identity.actor_for(user)
    if last_used is None or now - last_used >= LAST_USED_RESOLUTION:
        with engine.db.transaction() as session:
            session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
    return actor
