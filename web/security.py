"""Who is signed in (Flask-Login over the engine's users) and the auditor's read-only guard."""
from flask import abort, request
from flask_login import UserMixin

from engine.people import accounts

from .extensions import current_engine, login_manager

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: What an auditor may still post: signing out, choosing a language, marking their own
#: notifications read (none of it touches a case).
AUDITOR_MAY_POST = frozenset({"auth.logout", "auth.set_locale", "inbox.notifications_read"})


class SignedIn(UserMixin):
    """The signed-in person: their engine Actor plus their user row's id and locale
    (an engine.people.accounts.Account)."""

    def __init__(self, account: accounts.Account):
        self.user_id = account.user_id
        self.actor = account.actor
        self.locale = account.locale
        self.username = account.username
        self.display_name = account.display_name

    def get_id(self):
        return self.username


def load_signed_in(username: str):
    with current_engine().db.read() as session:
        found = accounts.account(session, username)
    return SignedIn(found) if found is not None else None


def init_app(app) -> None:
    login_manager.init_app(app)
    login_manager.user_loader(load_signed_in)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "strong"
    app.before_request(_auditors_read_only)


def _auditors_read_only():
    """Auditors read everything and change nothing: every write is refused up front (the
    engine refuses them too)."""
    from flask_login import current_user
    if request.method in SAFE_METHODS or request.endpoint in AUDITOR_MAY_POST:
        return None
    if current_user.is_authenticated and current_user.actor.is_auditor_only:
        abort(403)
    return None
