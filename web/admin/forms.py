"""The admin pages' forms (Flask-WTF, CSRF on each)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

CODE = Regexp(r"^[A-Za-z0-9_.-]+$", message=_l("Letters, digits, '-', '_' and '.' only."))
LOCALE_CHOICES = [SelectChoice("zh_CN", _l("Chinese")), SelectChoice("en", _l("English"))]


class UserForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=80), CODE])
    display_name = StringField(_l("Display name"), validators=[Optional(), Length(max=200)])
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=200)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=8, max=200)])
    organisation = SelectField(_l("Organisation"), validators=[DataRequired()])
    role = StringField(_l("Role"), validators=[DataRequired(), Length(max=64)])
    locale = SelectField(_l("Language"), choices=LOCALE_CHOICES)


class EditUserForm(FlaskForm):
    display_name = StringField(_l("Display name"), validators=[Optional(), Length(max=200)])
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=200)])
    locale = SelectField(_l("Language"), choices=LOCALE_CHOICES)
    active = BooleanField(_l("Active"))
    password = PasswordField(_l("New password (leave empty to keep)"), validators=[Optional(), Length(min=8, max=200)])


class MembershipForm(FlaskForm):
    organisation = SelectField(_l("Organisation"), validators=[DataRequired()])
    role = StringField(_l("Role"), validators=[DataRequired(), Length(max=64)])


class OrganisationForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=64), CODE])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("English name"), validators=[Optional(), Length(max=200)])
    parent = SelectField(_l("Parent"), validators=[Optional()])
    kind = SelectField(_l("Kind"), choices=[SelectChoice("ministry", _l("Ministry")),
                                            SelectChoice("province", _l("Province")),
                                            SelectChoice("city", _l("City")),
                                            SelectChoice("committee", _l("Committee")),
                                            SelectChoice("other", _l("Other"))])
