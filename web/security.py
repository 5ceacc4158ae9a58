"""Who is signed in (Flask-Login over the engine's users), the auditor's read-only guard and
the security headers every response carries."""
from flask import abort, request
from flask_login import UserMixin

from engine.people import accounts

from .extensions import current_engine, login_manager

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: What an auditor may still post: signing in (again) and out, choosing a language, changing
#: their own password, marking their own notifications read (none of it touches a case).
AUDITOR_MAY_POST = frozenset({"auth.login", "auth.logout", "auth.set_locale",
                              "auth.change_password", "auth.set_time_zone", "inbox.notifications_read"})


class SignedIn(UserMixin):
    """The signed-in person: their engine Actor plus their user row's id and locale
    (an engine.people.accounts.Account)."""

    def __init__(self, account: accounts.Account):
        self.user_id = account.user_id
        self.actor = account.actor
        self.locale = account.locale
        self.username = account.username
        self.display_name = account.display_name
        self.session_version = account.session_version

    def get_id(self):
        """What the session cookie keeps: the user name and the session version it was
        signed in under, so that ending a person's sessions ends this one too."""
        return f"{self.username}#{self.session_version}"


def load_signed_in(user_id: str):
    username, _, version = (user_id or "").rpartition("#")
    if not username or not version.isdigit():
        return None  # a cookie from before sessions had versions: sign in again
    with current_engine().db.read() as session:
        found = accounts.account(session, username, int(version))
    return SignedIn(found) if found is not None else None


#: Sent with every response. Scripts come only from this site (no inline script anywhere;
#: pages hand data to their scripts in <script type="application/json">); styles may be
#: inline because the diagram libraries set style attributes on the SVG they draw.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:", "font-src 'self' data:", "connect-src 'self'",
    "object-src 'none'", "base-uri 'self'", "form-action 'self'", "frame-ancestors 'none'"))
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def _security_headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def init_app(app) -> None:
    login_manager.init_app(app)
    login_manager.user_loader(load_signed_in)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "strong"
    app.before_request(_auditors_read_only)
    app.after_request(_security_headers)


def _auditors_read_only():
    """Auditors read everything and change nothing: every write is refused up front (the
    engine refuses them too)."""
    from flask_login import current_user
    if request.method in SAFE_METHODS or request.endpoint in AUDITOR_MAY_POST:
        return None
    if current_user.is_authenticated and current_user.actor.is_auditor_only:
        abort(403)
    return None
