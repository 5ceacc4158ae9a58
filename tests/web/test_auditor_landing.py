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
