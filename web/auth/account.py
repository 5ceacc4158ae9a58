"""A person's own account: their password and their API tokens. Each change is an Engine
command (engine.people.accounts, engine.people.tokens); an administrator sees and revokes
everyone's tokens here too."""
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user
from flask_wtf import FlaskForm
from wtforms import IntegerField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, NumberRange, Optional

from engine import Forbidden, InvalidData

from ..extensions import current_engine
from ..security import SignedIn
from . import bp


class PasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=8, max=200)])
    again = PasswordField(_l("New password again"),
                          validators=[DataRequired(), EqualTo("new", _l("The two new passwords differ."))])


class TokenForm(FlaskForm):
    label = StringField(_l("What the token is for"), validators=[Length(max=100)])
    days = IntegerField(_l("Valid for (days)"), validators=[Optional(), NumberRange(min=1)])


def _page(password_form, token_form, new_token=None, status=200):
    engine = current_engine()
    actor = current_user.actor
    tokens = engine.list_tokens(actor)
    return render_template("auth/account.html", password_form=password_form, token_form=token_form,
                           tokens=tokens, new_token=new_token, now=engine.now(),
                           everyone=actor.has_role("admin"),
                           max_days=engine.settings.api_token_max_days,
                           default_days=engine.settings.api_token_days,
                           time_zones=_time_zones(), time_zone=actor.time_zone,
                           default_time_zone=engine.settings.time_zone), status


def _time_zones() -> list[str]:
    from zoneinfo import available_timezones
    return sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))


@bp.get("/account")
@login_required
def account():
    return _page(PasswordForm(prefix="pw"), TokenForm(prefix="tk"))


@bp.post("/account/password")
@login_required
def change_password():
    form = PasswordForm(prefix="pw")
    if form.validate_on_submit():
        try:
            signed_in = current_engine().change_password(current_user.actor, form.current.data,
                                                         form.new.data)
        except Forbidden:
            form.current.errors.append(_("The current password is wrong."))
        except InvalidData:
            form.new.errors.append(_("A password has 8 to 200 characters."))
        else:
            login_user(SignedIn(signed_in))  # this session goes on; every other one ends
            flash(_("Your password is changed. You are signed out everywhere else."), "success")
            return redirect(url_for("auth.account"))
    return _page(form, TokenForm(prefix="tk"), status=422)


@bp.post("/account/tokens")
@login_required
def create_token():
    form = TokenForm(prefix="tk")
    engine = current_engine()
    if form.validate_on_submit():
        try:
            token = engine.create_token(current_user.actor, current_user.username,
                                        form.label.data or "", form.days.data)
        except InvalidData:
            form.days.errors.append(_("A token lasts 1 to %(days)s days.",
                                      days=engine.settings.api_token_max_days))
        else:
            return _page(PasswordForm(prefix="pw"), TokenForm(prefix="tk"), new_token=token)
    return _page(PasswordForm(prefix="pw"), form, status=422)


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id):
    current_engine().revoke_token(current_user.actor, token_id)
    flash(_("The token is revoked."), "success")
    return redirect(url_for("auth.account"))


@bp.post("/account/time-zone")
@login_required
def set_time_zone():
    """Dates are shown in the person's time zone (Babel); an unknown name is refused."""
    from flask import request
    from flask_babel import refresh
    chosen = (request.form.get("time_zone") or "").strip()
    try:
        current_engine().set_time_zone(current_user.actor, chosen)
    except InvalidData:
        flash(_("“%(zone)s” is not a time zone; nothing was changed.", zone=chosen[:64]), "error")
        return redirect(url_for("auth.account")), 303
    refresh()
    flash(_("Dates are now shown in %(zone)s.", zone=chosen), "success")
    return redirect(url_for("auth.account"))
