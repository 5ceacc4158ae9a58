"""Who is acting, and what they may see and do.

A lane names a role. A person may work on a lane's task when they hold that role in an
organisation on the same branch of the hierarchy as the case's organisation (its ancestor,
itself, or below it): the Ministry's reviewer works on every province's review task, a
city's officer on the city lane of its province's case. A task in no lane belongs to the
person who started the case. A person sees a case of their organisation or below it, and
auditors and administrators see every case.

SpiffArena's lane "Process Initiator" (any case, spaces or underscores) names no role: its
tasks belong to the person who started the case, as a task in no lane does (`lane_role`).
"""
import secrets
import time
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from engine.errors import Conflict, InvalidData, NotFound
from engine.storage import Membership, Organisation, User

SYSTEM = "system"
ADMIN, AUDITOR, PROCESS_OWNER = "admin", "auditor", "process_owner"
READ_ALL_ROLES = frozenset({ADMIN, AUDITOR})
#: How passwords are hashed (werkzeug's method string). scrypt, werkzeug's default, costs
#: about a tenth of a second by design; the test suite, which creates users for nearly every
#: test, lowers it. A stored hash names its own method, so a change never locks anyone out.
PASSWORD_METHOD = "scrypt"


@dataclass(frozen=True)
class Actor:
    """A resolved person: their name and every (organisation path, role) they hold."""

    username: str
    display_name: str = ""
    memberships: tuple = ()  # ((org_code, org_path, role), ...)
    locale: str = "zh_CN"
    time_zone: str = "Asia/Shanghai"
    roles: frozenset = field(default=frozenset())
    #: (id, code, path) of the first organisation: where the person's cases belong.
    home: tuple | None = None

    @property
    def is_system(self) -> bool:
        return self.username == SYSTEM

    @property
    def reads_everything(self) -> bool:
        return self.is_system or bool(self.roles & READ_ALL_ROLES)

    @property
    def is_auditor_only(self) -> bool:
        """Auditors read everything and change nothing."""
        return AUDITOR in self.roles and not (self.roles - {AUDITOR})

    def has_role(self, role: str) -> bool:
        return self.is_system or role in self.roles or ADMIN in self.roles

    @property
    def organisation_code(self):
        return self.memberships[0][0] if self.memberships else None

    def org_paths(self):
        return sorted({path for _code, path, _role in self.memberships})

    def sees_path(self, org_path: str) -> bool:
        return self.reads_everything or any(org_path.startswith(p) for p in self.org_paths())

    def may_start(self, start_roles, org_path: str) -> bool:
        """Whether this person may start a case for organisation `org_path` of a process
        whose start event lies in a lane of one of `start_roles` (None: in no lane). As
        for a lane's task, the role must be held on the organisation's branch."""
        if self.is_auditor_only:
            return False
        if start_roles is None or self.is_system or ADMIN in self.roles:
            return True
        return any(role in start_roles and (org_path.startswith(path) or path.startswith(org_path))
                   for _code, path, role in self.memberships)

    def may_work_on(self, lane, org_path: str, starter) -> bool:
        if self.is_auditor_only:
            return False
        lane = lane_role(lane)
        if not lane:
            return self.username == starter or self.is_system
        return self.is_system or any(
            role == lane and (org_path.startswith(path) or path.startswith(org_path))
            for _code, path, role in self.memberships)


SYSTEM_ACTOR = Actor(SYSTEM, "系统")

INITIATOR_LANE = "process initiator"


def lane_role(lane):
    """The role a lane names; None for no lane and for SpiffArena's "Process Initiator"."""
    if not lane or " ".join(str(lane).replace("_", " ").split()).lower() == INITIATOR_LANE:
        return None
    return lane


def load_actor(session: Session, username: str) -> Actor:
    """The actor in one query (every command resolves its caller, so this is a hot path)."""
    if username == SYSTEM:
        return SYSTEM_ACTOR
    rows = session.execute(
        select(User.display_name, User.locale, User.timezone, Organisation.id, Organisation.code,
               Organisation.path, Membership.role)
        .outerjoin(Membership, Membership.user_id == User.id)
        .outerjoin(Organisation, Organisation.id == Membership.organisation_id)
        .where(User.username == username, User.active.is_(True))
        .order_by(Membership.id)).all()
    if not rows:
        raise NotFound(f"No active user named '{username}'.")
    memberships = tuple((r.code, r.path, r.role) for r in rows if r.role is not None)
    first = rows[0]
    home = (first.id, first.code, first.path) if first.role is not None else None
    return Actor(username, first.display_name or username, memberships, first.locale,
                 first.timezone, frozenset(role for _c, _p, role in memberships), home)


class ActorCache:
    """Actors resolved by user name, kept for a few seconds.

    Commands called with a user name (the CLI, the API's scripts, the rehearsal) resolve
    their caller on every call; this spares the query. The engine's identity commands
    (engine.people.admin, the campaign set-up) clear it when they change who holds what;
    another process's change is seen within `ttl` seconds, so a revoked role stops working
    within that time.
    """

    def __init__(self, ttl: float = 5.0, clock=time.monotonic):
        self.ttl, self.clock = ttl, clock
        self._entries: dict[str, tuple[float, Actor]] = {}

    def resolve(self, session: Session, who) -> Actor:
        if isinstance(who, Actor):
            return who
        entry = self._entries.get(who)
        now = self.clock()
        if entry is not None and now - entry[0] < self.ttl:
            return entry[1]
        actor = load_actor(session, who)
        if self.ttl > 0:
            self._entries[who] = (now, actor)
        return actor

    def clear(self) -> None:
        """Forget every actor: called after a command changed users, roles or organisations."""
        self._entries = {}


def actor_for(user: User) -> Actor:
    memberships = tuple((m.organisation.code, m.organisation.path, m.role) for m in user.memberships)
    first = user.memberships[0].organisation if user.memberships else None
    home = (first.id, first.code, first.path) if first is not None else None
    return Actor(user.username, user.display_name or user.username, memberships, user.locale,
                 user.timezone, frozenset(role for _c, _p, role in memberships), home)


def create_organisation(session: Session, code: str, name: str, parent: str | None = None,
                        kind: str = "other", name_en: str | None = None,
                        attributes: dict | None = None) -> Organisation:
    if not code or "/" in code or len(code) > 64:
        raise InvalidData(f"Organisation code '{code}' must be 1-64 characters without '/'.")
    if session.scalar(select(Organisation).where(Organisation.code == code)):
        raise Conflict(f"An organisation with code '{code}' already exists.")
    parent_org = None
    if parent:
        parent_org = organisation_by_code(session, parent)
    path = (parent_org.path if parent_org else "/") + code + "/"
    org = Organisation(code=code, name=name, name_en=name_en, kind=kind, path=path,
                       parent=parent_org, attributes=attributes or {})
    session.add(org)
    session.flush()
    return org


def organisation_by_code(session: Session, code: str) -> Organisation:
    org = session.scalar(select(Organisation).where(Organisation.code == code))
    if org is None:
        raise NotFound(f"No organisation with code '{code}'.")
    return org


def create_user(session: Session, username: str, password: str | None = None,
                display_name: str = "", memberships=(), email: str | None = None,
                locale: str = "zh_CN") -> User:
    if not username or len(username) > 80 or username == SYSTEM:
        raise InvalidData(f"User name '{username}' is not allowed.")
    if session.scalar(select(User).where(User.username == username)):
        raise Conflict(f"A user named '{username}' already exists.")
    user = User(username=username, display_name=display_name or username, email=email,
                locale=locale, password_hash=_hash(password) if password else None)
    session.add(user)
    session.flush()
    for org_code, role in memberships:
        add_membership(session, user, org_code, role)
    return user


def add_membership(session: Session, user: User, org_code: str, role: str) -> Membership:
    if not role or len(role) > 64:
        raise InvalidData("A role name must be 1-64 characters.")
    org = organisation_by_code(session, org_code)
    if any(m.organisation_id == org.id and m.role == role for m in user.memberships):
        raise Conflict(f"'{user.username}' already holds role '{role}' in '{org_code}'.")
    membership = Membership(user=user, organisation=org, role=role)
    session.add(membership)
    session.flush()
    return membership


def set_password(user: User, password: str) -> None:
    user.password_hash = _hash(password)


def _hash(password: str) -> str:
    return generate_password_hash(password, method=PASSWORD_METHOD)


def check_password(user: User, password: str) -> bool:
    return bool(user.password_hash) and check_password_hash(user.password_hash, password)


_dummy_hash: list[str] = []


def check_dummy_password(password: str) -> bool:
    """Spend what checking a real password costs, for a user name that does not exist."""
    if not _dummy_hash:
        _dummy_hash.append(_hash(secrets.token_hex(16)))
    check_password_hash(_dummy_hash[0], password)
    return False


MIN_PASSWORD, MAX_PASSWORD = 8, 200


def check_new_password(password: str) -> None:
    if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InvalidData(f"A password has {MIN_PASSWORD} to {MAX_PASSWORD} characters.",
                          {"new": [f"{MIN_PASSWORD}-{MAX_PASSWORD}"]})
