"""/audit/verify: every case batch by batch (JSON), one case, the breaks named in the reader's
language; the case page's chain state; auditors and admins only."""
import pytest

from tests.conftest import tamper
from tests.web.conftest import open_task


@pytest.fixture
def cases(app):
    engine = app.extensions["liandong"]
    return engine, [open_task(engine, "zj_staff")[0] for _ in range(3)]


def test_clean_database(cases, staff):
    engine, ids = cases
    auditor = staff("auditor")
    page = auditor.get("/audit/verify").get_data(as_text=True)
    assert "核验全部案卷" in page and 'data-batch-url="/audit/verify/batch"' in page
    batch = auditor.get("/audit/verify/batch").get_json()
    assert batch == {"checked": 3, "total": 3, "after": None, "breaks": [], "trail": 2}  # the two deploys are on the identity trail
    whole = auditor.get("/audit/verify?run=all").get_data(as_text=True)  # without scripts
    assert "所有审计链完好无损" in whole and "已核验 3 / 3 个案卷" in whole


def test_tampered_database_names_each_break(cases, staff):
    engine, (first, second, third) = cases
    tamper(engine, f"UPDATE audit_events SET actor = 'js_staff' WHERE case_id = {second} AND seq = 1",
           f"DELETE FROM audit_events WHERE case_id = {third} AND seq = 1")
    auditor = staff("auditor")
    batch = auditor.get("/audit/verify/batch").get_json()
    assert {(b["case"], b["what"]) for b in batch["breaks"]} >= {(second, "altered"), (third, "truncated")}
    altered = next(b for b in batch["breaks"] if b["what"] == "altered")
    assert altered["found"].startswith("被篡改") and altered["event"] == "案卷启动"
    assert altered["link"] == f"/cases/{second}"
    one = auditor.get(f"/audit/verify?case={second}").get_data(as_text=True)
    assert "发现 1 处断裂" in one and "被篡改" in one
    assert "审计链断裂" in auditor.get(f"/cases/{second}").get_data(as_text=True)
    assert "审计链完好" in auditor.get(f"/cases/{first}").get_data(as_text=True)
    auditor.post("/locale", {"locale": "en"})
    english = auditor.get("/audit/verify/batch").get_json()
    assert any(b["found"].startswith("Altered") for b in english["breaks"])


def test_batches_carry_progress(cases, staff):
    engine, ids = cases
    auditor = staff("admin")
    import engine.case.verifying as verifying
    old, verifying.BATCH = verifying.BATCH, 2
    try:
        first = auditor.get("/audit/verify/batch").get_json()
        assert (first["checked"], first["total"], first["after"], first["trail"]) == (2, 3, ids[1], None)
        last = auditor.get(f"/audit/verify/batch?after={first['after']}").get_json()
        assert (last["checked"], last["after"], last["trail"]) == (3, None, 2)
    finally:
        verifying.BATCH = old


@pytest.mark.parametrize("who", ["zj_staff", "hz_staff", "ministry_officer"])
def test_others_are_refused(cases, staff, who):
    person = staff(who)
    for url in ("/audit/verify", "/audit/verify/batch", "/audit/verify?case=1"):
        assert person.get(url).status_code == 403


def test_unknown_case_is_404(cases, staff):
    assert staff("auditor").get("/audit/verify?case=99999").status_code == 404
