"""The app factory: configuration, secure cookies, languages, error pages."""
import pytest

from engine import Engine
from tests.web.conftest import Staff
from web import create_app


def test_secret_key_is_generated_once_and_kept(engine, tmp_path):
    first = create_app(engine=engine).config["SECRET_KEY"]
    second = create_app(engine=engine).config["SECRET_KEY"]
    assert first == second and len(first) >= 32
    key_file = engine.settings.instance_path / "secret_key"
    assert key_file.read_text().strip() == first
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"


def test_secret_key_from_settings(settings, clock):
    engine = Engine(settings.with_(secret_key="from-settings-123"), clock)
    try:
        assert create_app(engine=engine).config["SECRET_KEY"] == "from-settings-123"
    finally:
        engine.close()


def test_session_cookie_is_http_only_and_same_site(app):
    staff = Staff(app)
    response = staff.sign_in("zj_staff")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert app.config["SESSION_COOKIE_SECURE"] is False


def test_secure_cookies_when_configured(settings, clock):
    engine = Engine(settings.with_(extra={"session_cookie_secure": True}), clock)
    try:
        assert create_app(engine=engine).config["SESSION_COOKIE_SECURE"] is True
    finally:
        engine.close()


def test_one_engine_per_app(app):
    from web.extensions import current_engine
    with app.app_context():
        assert current_engine() is app.extensions["liandong"]


def test_chinese_by_default_english_on_request(app, staff):
    zj = staff("zj_staff")
    page = zj.get("/tasks").get_data(as_text=True)
    assert "我的任务" in page and "退出" in page
    response = zj.post("/locale", {"locale": "en", "next": "/tasks"})
    assert response.status_code == 302
    page = zj.get("/tasks").get_data(as_text=True)
    assert "My tasks" in page and "Sign out" in page
    # the choice is kept on the user: a new session starts in English
    again = staff("zj_staff")
    assert "My tasks" in again.get("/tasks").get_data(as_text=True)


def test_unknown_page_is_a_friendly_404(app, staff):
    response = staff("zj_staff").get("/no/such/page")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "Traceback" not in body and "联动" in body


def test_unexpected_error_is_a_friendly_500(app, staff):
    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")
    response = staff("zj_staff").get("/boom")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "secret internals" not in body and "Traceback" not in body


def test_post_without_csrf_token_is_refused(app, staff):
    zj = staff("zj_staff")
    response = zj.post("/locale", {"locale": "en"}, csrf=False)
    assert response.status_code == 400
    assert "Traceback" not in response.get_data(as_text=True)


def test_anonymous_is_sent_to_sign_in(app):
    response = app.test_client().get("/tasks")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("path", ["/tasks", "/start"])
def test_header_shows_product_and_task_count(app, staff, path):
    engine = app.extensions["liandong"]
    engine.start_case("activity_plan", "zj_staff", {})
    page = staff("zj_staff").get(path).get_data(as_text=True)
    assert "联动" in page
    assert 'id="task-count">1<' in page


def test_engine_never_imports_flask():
    """One-way dependencies: web -> engine, never back."""
    from tests.conftest import ROOT
    offenders = [str(path.relative_to(ROOT)) for path in (ROOT / "engine").rglob("*.py")
                 if any(line.lstrip().startswith(("import flask", "from flask", "import web", "from web"))
                        for line in path.read_text("utf-8").splitlines())]
    assert offenders == []
