"""Administering who holds what: users, their roles (memberships) and organisations.

Each function is one Engine command: one transaction, refused (Forbidden) unless the caller
is an administrator or the system (the CLI), recorded on the identity trail
(engine.people.trail) so auditors can trace who gave whom which role, and followed by
clearing the engine's actor cache so the change holds at once in this process.
"""
from sqlalchemy import select

from engine.errors import Forbidden, InvalidData, NotFound
from engine.people import identity, trail
from engine.people import organisations as organisations_csv
from engine.storage import Membership, Organisation, User

LOCALES = ("zh_CN", "en")


def require_admin(actor, doing: str) -> None:
    if not actor.has_role(identity.ADMIN):
        raise Forbidden(f"'{actor.username}' may not {doing}: only administrators may.")


def _user(session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"No user named '{username}'.")
    return user


def check_locale(locale: str) -> str:
    if locale not in LOCALES:
        raise InvalidData(f"Language '{locale}' is not offered (zh_CN or en).",
                          {"locale": [f"'{locale}' is not offered."]})
    return locale


def _command(engine, user, doing: str):
    """The caller resolved and checked; the identity change may go ahead."""
    actor = engine.actor(user)
    require_admin(actor, doing)
    return actor


def create_organisation(engine, user, code: str, name: str, parent: str | None = None,
                        kind: str = "other", name_en: str | None = None) -> str:
    """A new organisation under `parent`; returns its path."""
    actor = _command(engine, user, "create organisations")
    with engine.db.transaction() as session:
        org = identity.create_organisation(session, code, name or code, parent, kind, name_en)
        trail.record(session, actor, engine.now(), "organisation_created", org.code,
                     name=org.name, name_en=org.name_en, kind=org.kind, path=org.path)
        path = org.path
    engine.actors.clear()
    return path


def create_user(engine, user, username: str, password: str | None, display_name: str = "",
                memberships=(), email: str | None = None, locale: str = "zh_CN") -> None:
    actor = _command(engine, user, "create users")
    check_locale(locale)
    with engine.db.transaction() as session:
        created = identity.create_user(session, username, password, display_name, memberships,
                                       email=email, locale=locale)
        created.timezone = engine.settings.time_zone  # the instance's, until they choose
        trail.record(session, actor, engine.now(), "user_created", created.username,
                     display_name=created.display_name, email=created.email, locale=locale,
                     memberships=[[code, role] for code, role in memberships],
                     password_set=bool(password))
    engine.actors.clear()


def update_user(engine, user, username: str, display_name: str, email: str | None,
                locale: str, active: bool, password: str | None = None) -> None:
    """Change a person's name, address, language, whether they may sign in, and (when
    given) their password. An administrator cannot lock themselves out."""
    actor = _command(engine, user, "change users")
    check_locale(locale)
    with engine.db.transaction() as session:
        target = _user(session, username)
        if not active and target.username == actor.username:
            active = True
        wanted = {"display_name": display_name or target.username, "email": email or None,
                  "locale": locale, "active": bool(active)}
        changes = {k: [getattr(target, k), v] for k, v in wanted.items() if getattr(target, k) != v}
        for key, (_before, after) in changes.items():
            setattr(target, key, after)
        if password:
            identity.set_password(target, password)
        if password or "active" in changes:  # a new password or a deactivation ends sessions
            target.session_version = (target.session_version or 1) + 1
        if changes or password:
            trail.record(session, actor, engine.now(), "user_changed", target.username,
                         changes=changes, password_set=bool(password))
    engine.actors.clear()


def add_membership(engine, user, username: str, org_code: str, role: str) -> None:
    actor = _command(engine, user, "grant roles")
    role = (role or "").strip()
    with engine.db.transaction() as session:
        target = _user(session, username)
        identity.add_membership(session, target, org_code, role)
        trail.record(session, actor, engine.now(), "membership_added", target.username,
                     organisation=org_code, role=role)
    engine.actors.clear()


def remove_membership(engine, user, username: str, membership_id: int) -> None:
    actor = _command(engine, user, "revoke roles")
    with engine.db.transaction() as session:
        row = session.get(Membership, membership_id)
        if row is None or row.user.username != username:
            raise NotFound(f"'{username}' holds no role numbered {membership_id}.")
        organisation, role = row.organisation.code, row.role
        session.delete(row)
        trail.record(session, actor, engine.now(), "membership_removed", username,
                     organisation=organisation, role=role)
    engine.actors.clear()


def import_organisations(engine, user, path):
    """Create or update organisations from a CSV file (engine.people.organisations); one
    event on the trail names what was created and updated."""
    actor = _command(engine, user, "import organisations")
    with engine.db.transaction() as session:
        result = organisations_csv.import_organisations(session, path)
        if result.created or result.updated:
            trail.record(session, actor, engine.now(), "organisations_imported", "*",
                         created=result.created, updated=result.updated)
    engine.actors.clear()
    return result


# -- what the admin pages read -------------------------------------------------------------

def users(session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def user_named(session, username: str) -> User:
    """One user with their memberships; NotFound for an unknown name."""
    return _user(session, username)


def organisations(session) -> list[Organisation]:
    """Every organisation, in hierarchy order (a parent before its children)."""
    return list(session.scalars(select(Organisation).order_by(Organisation.path)))


def rotate_audit_key(engine, user) -> str:
    """A new HMAC key for the audit chains from now on (engine.storage.audit_keys); the old
    ones stay for verification. On the identity trail, chained with the new key."""
    actor = _command(engine, user, "rotate the audit key")
    with engine.db.transaction() as session:
        key_id = engine.audit_keys.rotate()
        trail.record(session, actor, engine.now(), "audit_key_rotated", "*", key_id=key_id)
    return key_id
