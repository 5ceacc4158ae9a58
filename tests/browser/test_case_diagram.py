"""An auditor opens a case in a real browser and sees the path it took on its diagram:
completed elements, the open one, the flows taken, and how often the loop ran; then the
heatmap of the version. Screenshots go to test-artifacts/."""
import pytest

from engine.bench.queries_generate import MODEL

pytestmark = pytest.mark.browser


@pytest.fixture
def looped_case(live_server):
    """A report sent back twice: the submit/review loop ran three times, the third submit is open."""
    engine = live_server.engine
    engine.deploy({MODEL.name: MODEL.read_bytes()})
    started = engine.start_case("report_cycle", "zj_staff", {"title": "杭州联动活动报告"}, organisation="hz")
    task = started.tasks[0]
    for accepted in (False, False):
        done = engine.complete_task(task, "hz_staff", {"report": "第一稿"})
        task = engine.complete_task(done.tasks[0], "zj_staff", {"accepted": accepted}).tasks[0]
    return started.case_id


def _ids(page, selector):
    return sorted(page.eval_on_selector_all(selector, "els => els.map(e => e.dataset.elementId)"))


def test_auditor_sees_the_path_on_the_diagram(live_server, browser_page, artifacts, looped_case):
    server, page = live_server, browser_page
    server.sign_in(page, "auditor")
    page.goto(f"{server.url}/cases/{looped_case}")
    page.wait_for_selector("#diagram.ready", state="attached")
    assert _ids(page, ".djs-element.completed:not(.djs-connection)") == [
        "Gateway_Ok", "Join", "StartEvent", "Task_Review", "Task_Submit"]
    assert _ids(page, ".djs-element.active") == ["Task_Submit"]
    assert _ids(page, ".djs-connection.taken") == ["F1", "F2", "F3", "F4", "F_again"]
    assert "Task_Approve" not in _ids(page, ".djs-element.completed")
    counts = page.eval_on_selector_all(".djs-overlay .run-count", "els => els.map(e => e.textContent)")
    assert sorted(counts) == ["×2", "×2", "×2", "×3"]  # Submit, Review, Gateway_Ok twice; Join three times
    fill = page.eval_on_selector("[data-element-id=Task_Submit] .djs-visual > rect",
                                 "el => getComputedStyle(el).fill")
    assert fill == "rgb(255, 241, 204)"  # the open task's colour from cases.css
    assert page.locator(".timeline .event").count() == 5
    page.screenshot(path=artifacts / "case-diagram.png", full_page=True)

    page.goto(f"{server.url}/cases/heatmap/{_version_of(server, looped_case)}")
    page.wait_for_selector("#diagram.ready", state="attached")
    assert "Join" in _ids(page, ".djs-element.heat-5")
    assert page.locator(".djs-overlay .heat-count").count() == 5
    page.screenshot(path=artifacts / "case-heatmap.png", full_page=True)


def _version_of(server, case_id):
    from engine.storage import Case
    with server.engine.db.read() as session:
        return session.get(Case, case_id).process_version_id


def test_ministry_sees_the_dashboard_charts(live_server, browser_page, artifacts, tmp_path):
    """The dashboard's charts are inline SVG drawn by the server: one stage bar per province."""
    import json
    from datetime import timedelta
    server, page, engine = live_server, browser_page, live_server.engine
    for key in ("campaign", "province_plan", "activity"):
        engine.deploy({MODEL.name: MODEL.read_bytes()}, key=key)
    definition = tmp_path / "dashboard.json"
    definition.write_text(json.dumps({
        "campaign_process": "campaign", "row_process": "province_plan", "activity_process": "activity",
        "stages": [{"id": "planning", "zh_CN": "制定方案", "en": "Planning"},
                   {"id": "implementation", "zh_CN": "组织实施", "en": "Implementation"}],
        "activity_groups": ["form", "theme"]}), encoding="utf-8")
    engine.settings = engine.settings.with_(extra={"dashboard_definition": str(definition)})
    top = engine.start_case("campaign", "ministry_officer", {}).case_id
    zj = engine.start_case("province_plan", "zj_staff", {"stage": "planning"}, parent_case_id=top)
    engine.start_case("province_plan", "js_staff", {"stage": "planning"}, parent_case_id=top)
    server.clock.advance(timedelta(days=20))
    done = engine.complete_task(zj.tasks[0], "hz_staff", {"stage": "implementation"})
    assert done.status == "running"
    for form, theme in (("讲座", "数字化"), ("展览", "数字化"), ("讲座", "标准化")):
        engine.start_case("activity", "hz_staff", {"form": form, "theme": theme}, organisation="hz",
                          parent_case_id=zj.case_id)
    server.sign_in(page, "ministry_officer")
    page.goto(f"{server.url}/cases/dashboard")
    bars = page.eval_on_selector_all("svg.stage-timeline rect[data-stage]", "els => els.map(e => e.dataset.stage)")
    assert sorted(bars) == ["implementation", "planning", "planning"]
    assert page.locator("svg.activities rect").count() >= 2
    page.screenshot(path=artifacts / "campaign-dashboard.png", full_page=True)
