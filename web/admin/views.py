"""Users, organisations and memberships, through engine.people.identity. Admins only (403)."""
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms import SelectChoice

from engine.people import identity
from engine.storage import Membership, Organisation, User

from ..extensions import current_engine
from . import bp
from .forms import EditUserForm, MembershipForm, OrganisationForm, UserForm


@bp.before_request
@login_required
def admins_only():
    if "admin" not in current_user.actor.roles:
        abort(403)


def _org_choices(session, blank=False):
    orgs = session.scalars(select(Organisation).order_by(Organisation.path)).all()
    choices = [SelectChoice(o.code, f"{'  ' * (o.path.count('/') - 2)}{o.name} ({o.code})") for o in orgs]
    return ([SelectChoice("", "—")] if blank else []) + choices


@bp.route("/users", methods=["GET", "POST"])
def users():
    engine = current_engine()
    form = UserForm()
    with engine.db.read() as s:
        form.organisation.choices = _org_choices(s)
    status = 200
    if form.validate_on_submit():
        with engine.db.transaction() as s:
            identity.create_user(s, form.username.data, form.password.data, form.display_name.data,
                                 [(form.organisation.data, form.role.data.strip())],
                                 email=form.email.data or None, locale=form.locale.data)
        flash(_("User %(name)s created.", name=form.username.data), "success")
        return redirect(url_for("admin.users"))
    if form.is_submitted():
        status = 422
    with engine.db.read() as s:
        rows = s.scalars(select(User).order_by(User.username)).all()
    return render_template("admin/users.html", users=rows, form=form), status


@bp.route("/users/<username>", methods=["GET", "POST"])
def user(username):
    engine = current_engine()
    with engine.db.read() as s:
        row = s.scalar(select(User).where(User.username == username))
        if row is None:
            abort(404)
        choices = _org_choices(s)
    form = EditUserForm(obj=row)
    membership_form = MembershipForm(prefix="m")
    membership_form.organisation.choices = choices
    status = 200
    if form.validate_on_submit():
        with engine.db.transaction() as s:
            target = s.get(User, row.id)
            target.display_name = form.display_name.data or target.username
            target.email = form.email.data or None
            target.locale = form.locale.data
            target.active = bool(form.active.data) or target.username == current_user.username
            if form.password.data:
                identity.set_password(target, form.password.data)
        flash(_("Saved."), "success")
        return redirect(url_for("admin.user", username=username))
    if form.is_submitted():
        status = 422
    return render_template("admin/user.html", user=row, form=form,
                           membership_form=membership_form), status


@bp.post("/users/<username>/memberships")
def add_membership(username):
    engine = current_engine()
    form = MembershipForm(prefix="m")
    with engine.db.read() as s:
        form.organisation.choices = _org_choices(s)
    if not form.validate_on_submit():
        flash(_("Choose an organisation and a role."), "error")
        return redirect(url_for("admin.user", username=username))
    with engine.db.transaction() as s:
        target = s.scalar(select(User).where(User.username == username))
        if target is None:
            abort(404)
        identity.add_membership(s, target, form.organisation.data, form.role.data.strip())
    flash(_("Role added."), "success")
    return redirect(url_for("admin.user", username=username))


@bp.post("/users/<username>/memberships/<int:membership_id>/delete")
def remove_membership(username, membership_id):
    with current_engine().db.transaction() as s:
        row = s.get(Membership, membership_id)
        if row is None or row.user.username != username:
            abort(404)
        s.delete(row)
    flash(_("Role removed."), "success")
    return redirect(url_for("admin.user", username=username))


@bp.route("/organisations", methods=["GET", "POST"])
def organisations():
    engine = current_engine()
    form = OrganisationForm()
    with engine.db.read() as s:
        form.parent.choices = _org_choices(s, blank=True)
    status = 200
    if form.validate_on_submit():
        with engine.db.transaction() as s:
            identity.create_organisation(s, form.code.data, form.name.data, form.parent.data or None,
                                         form.kind.data, form.name_en.data or None)
        flash(_("Organisation %(code)s created.", code=form.code.data), "success")
        return redirect(url_for("admin.organisations"))
    if form.is_submitted():
        status = 422
    with engine.db.read() as s:
        rows = s.scalars(select(Organisation).order_by(Organisation.path)).all()
    return render_template("admin/organisations.html", organisations=rows, form=form), status
