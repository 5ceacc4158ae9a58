"""Sign-in form (keeps the user name on error), sign-out, the language switch."""
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from ..extensions import current_engine
from ..i18n import LOCALES
from ..security import SignedIn
from . import bp


class SignInForm(FlaskForm):
    username = StringField(validators=[DataRequired(), Length(max=80)])
    password = PasswordField(validators=[DataRequired(), Length(max=200)])
    next = HiddenField()


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no scheme, no host, no '//')."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("inbox.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = SignInForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    status = 200
    if form.validate_on_submit():
        result = current_engine().sign_in(form.username.data, form.password.data,
                                          request.remote_addr or "",
                                          current_app.config["SIGN_IN_MAX_FAILURES"],
                                          current_app.config["SIGN_IN_WINDOW_SECONDS"])
        if result.blocked:
            form.password.errors.append(_("Too many failed attempts. Wait a quarter of an "
                                          "hour and try again, or ask an administrator."))
            return render_template("auth/login.html", form=form), 429
        if result.account is not None:
            session.clear()
            login_user(SignedIn(result.account))
            if not form.next.data and result.account.actor.is_auditor_only:
                return redirect(url_for("index"))  # auditors land on the dashboard (web/__init__)
            return redirect(_safe_next(form.next.data))
        form.password.errors.append(_("The user name or password is wrong."))
        status = 401
    elif request.method == "POST":
        status = 400
    form.password.data = ""
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    current_engine().sign_out(current_user.actor)  # every session of theirs ends, not just this one
    logout_user()
    session.clear()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.post("/locale")
def set_locale():
    """Switch the language; a signed-in person's choice is kept on their user row."""
    locale = request.form.get("locale", "")
    if locale not in LOCALES:
        locale = "zh_CN"
    session["locale"] = locale
    if current_user.is_authenticated:
        current_engine().set_locale(current_user.actor, locale)
        current_user.locale = locale
    refresh()
    return redirect(_safe_next(request.form.get("next")))
