"""The Flask extensions (one instance each, bound in create_app) and the request's engine."""
from flask import current_app
from flask.json.provider import DefaultJSONProvider
from flask_babel import Babel
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect

from engine.runtime.values import loads_finite

csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()


class FiniteJSONProvider(DefaultJSONProvider):
    """`request.get_json()` refuses NaN and Infinity (they are not JSON, and no case holds them)."""

    def loads(self, s, **kwargs):
        return loads_finite(s)


def current_engine():
    """The app's one Engine (created by create_app, shared by every request)."""
    return current_app.extensions["liandong"]


def current_actor():
    """The signed-in person as an engine Actor (None when nobody is signed in)."""
    if current_user and current_user.is_authenticated:
        return current_user.actor
    return None
