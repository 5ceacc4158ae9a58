"""Auditors land on the campaign dashboard, not an empty inbox, and their Start page says
that auditors do not start cases."""


def test_auditor_lands_on_the_dashboard(app, staff):
    auditor = staff()
    response = auditor.sign_in("auditor")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert auditor.get("/").headers["Location"] == "/cases/dashboard"
    start = auditor.get("/start").get_data(as_text=True)
    assert "审计员不发起案卷" in start and "暂无可发起的流程" not in start


def test_staff_still_land_on_their_tasks(app, staff):
    assert staff("zj_staff").get("/").headers["Location"] == "/tasks"
    assert staff("admin").get("/").headers["Location"] == "/tasks"


def test_auditor_changes_their_own_password(app, staff):
    auditor = staff("auditor")
    response = auditor.post("/account/password", {"pw-current": "secret-pass", "pw-new": "new-secret-9",
                                                  "pw-again": "new-secret-9"})
    assert response.status_code == 302
    assert staff().sign_in("auditor", "new-secret-9").status_code == 302
