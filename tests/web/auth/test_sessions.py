"""Sessions end on the server: a cookie kept from before signing out, a password change or a
deactivation no longer signs anyone in. Every response carries the security headers."""
import re

from tests.web.conftest import Staff


def _copy_of(person: Staff) -> Staff:
    """A second client holding the same session cookie (a stolen or forgotten one)."""
    other = Staff(person.app)
    cookie = person.client.get_cookie("session")
    other.client.set_cookie("session", cookie.value)
    return other


def test_the_old_cookie_is_dead_after_signing_out(app, staff):
    person = staff("zj_staff")
    kept = _copy_of(person)
    assert kept.get("/tasks").status_code == 200
    person.post("/logout")
    assert kept.get("/tasks").status_code == 302  # back to the sign-in page
    assert "/login" in kept.get("/tasks").headers["Location"]


def test_a_password_change_ends_other_sessions_but_not_this_one(app, staff):
    person = staff("zj_staff")
    elsewhere = staff("zj_staff")
    page = person.get("/account")
    assert page.status_code == 200
    wrong = person.post("/account/password", {"pw-current": "nope-nope", "pw-new": "brand-new-pass",
                                              "pw-again": "brand-new-pass"})
    assert wrong.status_code == 422
    assert "当前密码不正确" in wrong.get_data(as_text=True)
    done = person.post("/account/password", {"pw-current": "secret-pass", "pw-new": "brand-new-pass",
                                             "pw-again": "brand-new-pass"})
    assert done.status_code == 302
    assert person.get("/tasks").status_code == 200
    assert elsewhere.get("/tasks").status_code == 302
    assert Staff(app).sign_in("zj_staff", "brand-new-pass").status_code == 302


def test_deactivation_ends_sessions(app, staff):
    person = staff("zj_staff")
    app.extensions["liandong"].update_user("admin", "zj_staff", "ZJ", None, "zh_CN", False)
    assert person.get("/tasks").status_code == 302


def test_tokens_are_made_listed_and_revoked_on_the_account_page(app, staff):
    person = staff("zj_staff")
    made = person.post("/account/tokens", {"tk-label": "nightly export", "tk-days": "30"})
    assert made.status_code == 200
    token = re.search(r'id="new-token">(ld_[^<]+)<', made.get_data(as_text=True)).group(1)
    api = app.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/tasks", headers=bearer).status_code == 200
    page = person.get("/account").get_data(as_text=True)
    assert "nightly export" in page and token not in page
    too_long = person.post("/account/tokens", {"tk-label": "x", "tk-days": "4000"})
    assert too_long.status_code == 422 and "令牌有效期为 1 至 365 天" in too_long.get_data(as_text=True)
    token_id = app.extensions["liandong"].list_tokens("zj_staff")[0].id
    assert staff("js_staff").post(f"/account/tokens/{token_id}/revoke").status_code == 403
    assert person.post(f"/account/tokens/{token_id}/revoke").status_code == 302
    assert api.get("/api/v1/tasks", headers=bearer).status_code == 401


def test_security_headers_on_every_response(app, staff):
    person = staff("zj_staff")
    for response in (person.get("/tasks"), Staff(app).get("/login"), person.get("/no/such/page"),
                     app.test_client().get("/api/v1/tasks"), person.get("/static/style.css")):
        headers = response.headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        response.close()


def test_no_template_carries_an_inline_script():
    """The CSP refuses inline scripts, so none may be written: code lives in static files."""
    from pathlib import Path
    root = Path(__file__).resolve().parents[3] / "web"
    inline = re.compile(r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>", re.I)
    handler = re.compile(r"\son[a-z]+\s*=", re.I)
    found = [f"{p.relative_to(root)}: {m.group(0)}" for p in root.rglob("*.html")
             for m in (*inline.finditer(p.read_text("utf-8")), *handler.finditer(p.read_text("utf-8")))]
    assert found == []
