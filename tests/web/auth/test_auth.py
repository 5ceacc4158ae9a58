"""Sign-in, sign-out and the throttle on failed sign-ins."""
from datetime import timedelta

from sqlalchemy import func, select

from engine.storage import FailedSignIn, User
from tests.web.conftest import Staff


def test_sign_in_and_out(app):
    staff = Staff(app)
    response = staff.sign_in("zj_staff")
    assert response.status_code == 302 and response.headers["Location"].endswith("/tasks")
    assert staff.get("/tasks").status_code == 200
    response = staff.post("/logout")
    assert response.status_code == 302
    assert staff.get("/tasks").status_code == 302  # back to the sign-in page


def test_wrong_password_keeps_the_user_name(app):
    staff = Staff(app)
    response = staff.sign_in("zj_staff", "wrong-password")
    assert response.status_code == 401
    page = response.get_data(as_text=True)
    assert 'value="zj_staff"' in page
    assert "用户名或密码错误" in page
    assert "wrong-password" not in page


def test_sign_in_goes_back_to_the_page_asked_for_but_never_off_site(app):
    staff = Staff(app)
    token = staff.csrf()
    response = staff.client.post("/login", data={"username": "zj_staff", "password": "secret-pass",
                                                 "csrf_token": token, "next": "/start"})
    assert response.headers["Location"].endswith("/start")
    staff = Staff(app)
    response = staff.client.post("/login", data={"username": "zj_staff", "password": "secret-pass",
                                                 "csrf_token": staff.csrf(), "next": "//evil.example/x"})
    assert "evil" not in response.headers["Location"]


def test_inactive_user_cannot_sign_in(app):
    engine = app.extensions["liandong"]
    from engine.storage import User
    with engine.db.transaction() as s:
        s.scalar(select(User).where(User.username == "zj_staff2")).active = False
    assert Staff(app).sign_in("zj_staff2").status_code == 401


def test_five_failures_block_even_the_right_password(app):
    staff = Staff(app)
    for _ in range(5):
        assert staff.sign_in("zj_staff", "guess").status_code == 401
    response = staff.sign_in("zj_staff", "secret-pass")
    assert response.status_code == 429
    assert "十五分钟" in response.get_data(as_text=True)
    # another user from the same address is not blocked
    assert Staff(app).sign_in("js_staff").status_code == 302


def test_the_block_lifts_after_the_window(app, clock):
    staff = Staff(app)
    for _ in range(5):
        staff.sign_in("zj_staff", "guess")
    assert staff.sign_in("zj_staff").status_code == 429
    clock.advance(timedelta(minutes=16))
    assert staff.sign_in("zj_staff").status_code == 302
    with app.extensions["liandong"].db.read() as s:  # success clears the count
        assert s.scalar(select(func.count()).select_from(FailedSignIn)
                        .where(FailedSignIn.username == "zj_staff")) == 0


def test_failures_are_counted_in_the_database(app):
    """Two app instances (two workers) on one database share the count."""
    from web import create_app
    other = create_app({"TESTING": True}, engine=app.extensions["liandong"])
    for i in range(5):
        Staff(app if i % 2 else other).sign_in("zj_staff", "guess")
    assert Staff(app).sign_in("zj_staff").status_code == 429


def test_passwords_are_stored_as_scrypt_hashes_by_default(app, monkeypatch):
    """The suite hashes with a cheap method (tests/conftest.py); the product uses scrypt,
    and a person whose hash was made with another method still signs in."""
    from engine.people import identity
    monkeypatch.setattr(identity, "PASSWORD_METHOD", "scrypt")
    engine = app.extensions["liandong"]
    with engine.db.transaction() as s:
        identity.create_user(s, "new_staff", password="long-secret", memberships=[("zj", "province")])
    with engine.db.transaction() as s:
        user = s.scalar(select(User).where(User.username == "new_staff"))
        assert user.password_hash.startswith("scrypt:") and "long-secret" not in user.password_hash
        assert identity.check_password(user, "long-secret")
        assert not identity.check_password(user, "long-secre")
    assert Staff(app).sign_in("zj_staff").status_code == 302  # made with the suite's method
    assert Staff(app).sign_in("new_staff", "long-secret").status_code == 302
