"""Admin pages: users, organisations, memberships — administrators only."""
from sqlalchemy import select

from engine.storage import Organisation, User


def test_admin_pages_are_for_admins_only(app, staff):
    for path in ("/admin/users", "/admin/organisations", "/admin/users/zj_staff"):
        assert staff("zj_staff").get(path).status_code == 403
        assert staff("admin").get(path).status_code == 200
    assert 'href="/admin/users"' in staff("admin").get("/tasks").get_data(as_text=True)
    assert 'href="/admin/users"' not in staff("zj_staff").get("/tasks").get_data(as_text=True)


def test_create_organisation_user_and_roles(app, staff):
    admin = staff("admin")
    engine = app.extensions["liandong"]
    response = admin.post("/admin/organisations", {"code": "nb", "name": "宁波市", "parent": "zj", "kind": "city"})
    assert response.status_code == 302
    response = admin.post("/admin/users", {"username": "nb_staff", "display_name": "宁波", "password": "long-password",
                                           "organisation": "nb", "role": "city", "locale": "en"})
    assert response.status_code == 302
    with engine.db.read() as s:
        assert s.scalar(select(Organisation).where(Organisation.code == "nb")).path == "/ministry/zj/nb/"
        user = s.scalar(select(User).where(User.username == "nb_staff"))
        assert user.locale == "en" and [m.role for m in user.memberships] == ["city"]
    assert admin.post("/admin/users/nb_staff/memberships", {"m-organisation": "zj", "m-role": "province"}).status_code == 302
    assert engine.actor("nb_staff").roles == {"city", "province"}
    with engine.db.read() as s:
        membership_id = next(m.id for m in s.scalar(select(User).where(User.username == "nb_staff")).memberships
                             if m.role == "province")
    assert admin.post(f"/admin/users/nb_staff/memberships/{membership_id}/delete").status_code == 302
    assert engine.actor("nb_staff").roles == {"city"}
    # the new user can sign in
    from tests.web.conftest import Staff
    assert Staff(app).sign_in("nb_staff", "long-password").status_code == 302


def test_bad_admin_input_is_shown_not_crashed(app, staff):
    admin = staff("admin")
    page = admin.post("/admin/users", {"username": "zj_staff", "password": "long-password",
                                       "organisation": "zj", "role": "province", "locale": "zh_CN"})
    assert page.status_code == 409 and "already exists" in page.get_data(as_text=True)
    page = admin.post("/admin/users", {"username": "bad name!", "password": "short",
                                       "organisation": "zj", "role": "", "locale": "zh_CN"})
    assert page.status_code == 422
    assert admin.post("/admin/organisations", {"code": "a/b", "name": "x", "kind": "city"}).status_code == 422
    assert admin.post("/admin/organisations", {"code": "x2", "name": "x", "parent": "nope", "kind": "city"}).status_code == 422


def test_deactivate_and_reset_password(app, staff):
    admin = staff("admin")
    assert admin.post("/admin/users/zj_staff2", {"display_name": "小王", "locale": "zh_CN",
                                                 "password": "new-password-1"}).status_code == 302
    from tests.web.conftest import Staff
    assert Staff(app).sign_in("zj_staff2", "new-password-1").status_code == 401  # deactivated (box unticked)
    admin.post("/admin/users/zj_staff2", {"display_name": "小王", "locale": "zh_CN", "active": "y"})
    assert Staff(app).sign_in("zj_staff2", "new-password-1").status_code == 302


def test_admin_changes_are_on_the_trail_auditors_read(app, staff):
    admin = staff("admin")
    admin.post("/admin/organisations", {"code": "nb", "name": "宁波市", "parent": "zj", "kind": "city"})
    admin.post("/admin/users", {"username": "nb_staff", "password": "long-password",
                                "organisation": "nb", "role": "city", "locale": "zh_CN"})
    admin.post("/admin/users/zj_staff2", {"display_name": "小王", "locale": "zh_CN", "active": "y"})
    page = staff("auditor").get("/cases/people-trail")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "人员与角色变更记录" in text and "新建机构" in text and "新建用户" in text and "修改用户" in text
    assert "nb_staff" in text and "long-password" not in text
    only = staff("auditor").get("/cases/people-trail?subject=zj_staff2").get_data(as_text=True)
    assert "修改用户" in only and "新建机构" not in only
    assert 'href="/cases/people-trail"' in staff("auditor").get("/cases/").get_data(as_text=True)
    assert staff("zj_staff").get("/cases/people-trail").status_code == 403


def test_the_engine_refuses_admin_commands_whatever_the_page_does(app):
    """The page's admin check is a courtesy: the command itself refuses a non-admin."""
    import pytest

    from engine import Forbidden
    engine = app.extensions["liandong"]
    with pytest.raises(Forbidden):
        engine.create_user(engine.actor("zj_staff"), "sneaky", "long-password", memberships=[("zj", "admin")])
