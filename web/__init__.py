"""The Flask web app: `create_app()` builds one app around one Engine.

Configuration comes from engine.config.Settings (environment, then instance/liandong.toml);
`test_config` overrides Flask settings for tests, `engine` hands in a ready Engine.
"""
import base64
import importlib
import os
import secrets
import tempfile
from pathlib import Path

from flask import Flask

from engine import Engine, Settings
from engine.ops import logs

from . import errors, i18n, navigation, security
from .blueprints import BLUEPRINTS
from .extensions import FiniteJSONProvider, csrf


def create_app(test_config=None, engine: Engine | None = None) -> Flask:
    if engine is None:
        from .commands.common import engine_from_env
        engine = engine_from_env()
    settings = engine.settings
    instance = Path(settings.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    app = Flask(__name__, instance_path=str(instance.resolve()))
    app.json = FiniteJSONProvider(app)
    secure = str(settings.extra.get("session_cookie_secure",
                                    os.environ.get("LIANDONG_SESSION_COOKIE_SECURE", ""))).lower()
    app.config.update(
        SECRET_KEY=settings.secret_key or _stored_secret(instance),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure in ("1", "true", "yes"),
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=secure in ("1", "true", "yes"),
        MAX_CONTENT_LENGTH=settings.upload_max_bytes + 1024 * 1024,
        MAX_FORM_MEMORY_SIZE=settings.submission_max_bytes,
        WTF_CSRF_TIME_LIMIT=None,
        INBOX_PAGE_SIZE=20,
        BABEL_DEFAULT_TIMEZONE=settings.time_zone,  # a person's own choice wins (web.i18n)
        SIGN_IN_MAX_FAILURES=5,
        SIGN_IN_WINDOW_SECONDS=15 * 60,
    )
    if test_config:
        app.config.update(test_config)
    if not app.testing:
        logs.configure(settings)  # one JSON object a line on stderr (engine.ops.logs)
    app.extensions["liandong"] = engine
    csrf.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    navigation.init_app(app)
    for name in BLUEPRINTS:
        app.register_blueprint(importlib.import_module(name).bp)
    app.add_url_rule("/", "index", _index)
    app.add_url_rule("/favicon.ico", "favicon", _favicon)
    icon = base64.b64encode((Path(app.static_folder) / "favicon.svg").read_bytes()).decode("ascii")
    app.jinja_env.globals["favicon_data"] = icon
    return app


def _index():
    """Where a person lands: their tasks; auditors, who have none, the campaign dashboard."""
    from flask import current_app, redirect, url_for
    from flask_login import current_user
    if (current_user.is_authenticated and current_user.actor.is_auditor_only
            and "cases.dashboard_page" in current_app.view_functions):
        return redirect(url_for("cases.dashboard_page"))
    return redirect(url_for("inbox.index"))


def _stored_secret(instance: Path) -> str:
    """A secret key generated once and kept in the instance folder (mode 0600)."""
    path = instance / "secret_key"
    if not path.exists():
        fd, tmp = tempfile.mkstemp(dir=instance)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32))
        try:  # link, not rename: two workers starting together keep the first one's key
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    return path.read_text().strip()


__all__ = ["create_app", "Settings"]


def _favicon():
    """Browsers ask for /favicon.ico before they read the page's <link rel="icon">."""
    from flask import redirect, url_for
    return redirect(url_for("static", filename="favicon.svg"), 301)
