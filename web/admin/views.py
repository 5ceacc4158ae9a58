"""Users, organisations and memberships: each change an Engine command (engine.people.admin),
which refuses non-admins and records it on the identity trail. Admins only here too (403)."""
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import SelectChoice

from engine.people import admin

from .. import words
from ..extensions import current_actor, current_engine
from . import bp
from .forms import EditUserForm, MembershipForm, OrganisationForm, UserForm


@bp.before_request
@login_required
def admins_only():
    if "admin" not in current_user.actor.roles:
        abort(403)


def _org_choices(session, blank=False):
    choices = [SelectChoice(o.code, f"{'  ' * (o.path.count('/') - 2)}{words.org_label(o)} ({o.code})")
               for o in admin.organisations(session)]
    return ([SelectChoice("", "—")] if blank else []) + choices


@bp.route("/users", methods=["GET", "POST"])
def users():
    engine = current_engine()
    form = UserForm()
    with engine.db.read() as s:
        form.organisation.choices = _org_choices(s)
    status = 200
    if form.validate_on_submit():
        engine.create_user(current_actor(), form.username.data, form.password.data,
                           form.display_name.data, [(form.organisation.data, form.role.data.strip())],
                           email=form.email.data or None, locale=form.locale.data)
        flash(_("User %(name)s created.", name=form.username.data), "success")
        return redirect(url_for("admin.users"))
    if form.is_submitted():
        status = 422
    with engine.db.read() as s:
        rows = admin.users(s)
    return render_template("admin/users.html", users=rows, form=form), status


@bp.route("/users/<username>", methods=["GET", "POST"])
def user(username):
    engine = current_engine()
    with engine.db.read() as s:
        row = admin.user_named(s, username)
        choices = _org_choices(s)
    form = EditUserForm(obj=row)
    membership_form = MembershipForm(prefix="m")
    membership_form.organisation.choices = choices
    status = 200
    if form.validate_on_submit():
        engine.update_user(current_actor(), username, form.display_name.data, form.email.data,
                           form.locale.data, bool(form.active.data), form.password.data or None)
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
    engine.add_membership(current_actor(), username, form.organisation.data, form.role.data.strip())
    flash(_("Role added."), "success")
    return redirect(url_for("admin.user", username=username))


@bp.post("/users/<username>/memberships/<int:membership_id>/delete")
def remove_membership(username, membership_id):
    current_engine().remove_membership(current_actor(), username, membership_id)
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
        engine.create_organisation(current_actor(), form.code.data, form.name.data,
                                   form.parent.data or None, form.kind.data, form.name_en.data or None)
        flash(_("Organisation %(code)s created.", code=form.code.data), "success")
        return redirect(url_for("admin.organisations"))
    if form.is_submitted():
        status = 422
    with engine.db.read() as s:
        rows = admin.organisations(s)
    return render_template("admin/organisations.html", organisations=rows, form=form), status
