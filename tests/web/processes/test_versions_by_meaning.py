"""Versions by meaning in the Processes area and the `liandong` command (issue 13, item 3):
a model uploaded again as another tool writes it deploys nothing and says so; a layout-only
version is labelled as such on the versions page, the diff page and in `versions`/`diff`;
a diff's changes are named in words, in Chinese and English."""
import io
import json

import pytest

from tests.engine.models.versions_models import linear, written_by_another_tool
from web import create_app

WRITE = [("A", "Write"), ("B", "Check")]


@pytest.fixture
def app(owner_engine):
    return create_app({"TESTING": True}, engine=owner_engine)


def _upload(owner, xml: bytes):
    files = {"files": (io.BytesIO(xml), "linear.bpmn")}
    response = owner.post("/processes/upload", data=files, content_type="multipart/form-data",
                          follow_redirects=True)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _three_versions(app):
    """v1; v2 moves every shape (layout only); v3 renames B and rewires nothing else."""
    engine = app.extensions["liandong"]
    engine.deploy(linear(WRITE))
    engine.deploy(linear(WRITE, x_shift=40))
    engine.deploy(linear([("A", "Write"), ("B", "Check it")], x_shift=40))
    return engine


def test_uploading_the_same_model_written_differently_deploys_nothing_and_says_so(app, owner):
    first = _upload(owner, linear(WRITE)["linear.bpmn"])
    assert "已部署 linear 第 1 版" in first
    again = _upload(owner, written_by_another_tool(linear(WRITE)["linear.bpmn"]))
    assert "linear 第 1 版已经是这个模型：流程相同，图形也相同" in again
    assert [v.version for v in app.extensions["liandong"].versions("linear")] == [1]
    moved = _upload(owner, linear(WRITE, x_shift=40)["linear.bpmn"])
    assert "已部署 linear 第 2 版：仅布局变化，流程的执行与第 1 版相同。" in moved


def test_versions_and_diff_pages_label_layout_only_in_both_languages(app, owner):
    _three_versions(app)
    page = owner.get("/processes/linear").get_data(as_text=True)
    assert 'data-change="layout"' in page and "仅布局变化" in page and "流程变更" in page
    layout = owner.get("/processes/linear/diff?from=1&to=2").get_data(as_text=True)
    assert 'data-kind="layout"' in layout and "两个版本的流程执行完全相同，只有图形变了。" in layout
    assert "图中位置移动" in layout and ">moved in the diagram<" not in layout
    words = owner.get("/processes/linear/diff?from=2&to=3").get_data(as_text=True)
    assert "重命名" in words and "名称: Check → Check it" in words
    owner.post("/locale", data={"locale": "en"})
    english = owner.get("/processes/linear").get_data(as_text=True)
    assert "layout only" in english and "process changed" in english
    english = owner.get("/processes/linear/diff?from=2&to=3").get_data(as_text=True)
    assert "renamed" in english and "name: Check → Check it" in english
    data = owner.get("/processes/api/diff?key=linear&from=1&to=2").get_json()
    assert data["kind"] == "layout" and {e["element_id"] for e in data["elements"]} >= {"A", "B"}
    assert data["elements"][0]["words"] == ["moved in the diagram"]


def test_versions_and_diff_commands_say_layout_only_and_name_changes(app, cli):
    run = cli
    _three_versions(app)
    listing = run("versions", "linear").splitlines()
    assert listing[0].startswith("v3") and listing[0].endswith("process changed")
    assert listing[1].startswith("v2") and listing[1].endswith("layout only")
    assert listing[2].endswith("first version")
    layout = run("diff", "linear", "1", "2")
    assert layout.splitlines()[0] == "linear: v1 -> v2: layout only: the process runs the same"
    assert "changed userTask A (Write): moved in the diagram" in layout
    words = run("diff", "linear", "2", "3")
    assert "changed userTask B (Check it): renamed" in words and "  name: Check -> Check it" in words
    same = run("diff", "linear", "2", "2")
    assert same.strip() == "linear: v2 -> v2: the same process and diagram (how the files are written does not count)"
    assert json.loads(run("diff", "linear", "1", "2", "--json"))["kind"] == "layout"
