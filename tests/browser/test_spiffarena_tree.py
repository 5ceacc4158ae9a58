"""A SpiffArena tree imported: its process groups are headings on the processes page, and a
task of a form deployed beside its BPMN (a file name with a space) is worked in the browser."""
import pytest

from tests.conftest import DATA
from web.commands.spiffarena import import_tree

pytestmark = pytest.mark.browser


def test_imported_tree_on_the_processes_page(live_server, browser_page, artifacts):
    counts = import_tree(live_server.engine, DATA / "spiffarena-tree", "admin", echo=lambda line: None)
    assert counts["refused"] == 2
    page = browser_page
    live_server.sign_in(page, "admin")
    page.goto(live_server.url + "/processes/")
    headings = page.locator("tr.category th").all_inner_texts()
    assert sorted(headings) == sorted(["基础", "宽松检查", "共享", "调用方"])
    assert page.locator("tr[data-key='simple_form']").inner_text().count("simple form (SpiffArena layout)") == 1
    page.screenshot(path=artifacts / "spiffarena-processes.png", full_page=True)

    started = live_server.engine.start_case("form_space", "admin", {})
    [task] = live_server.engine.tasks("admin", case_id=started.case_id)
    page.goto(f"{live_server.url}/tasks/{task.id}")
    page.screenshot(path=artifacts / "spiffarena-form-space.png", full_page=True)
    page.fill("input[name='answer']", "好")
    page.get_by_role("button", name="提交").click()
    page.wait_for_load_state()
    assert live_server.engine.tasks("admin", case_id=started.case_id) == []
