"""The modeler's live-check API and its page: texts checked by the engine, timers worded in
the reader's language; the page carries the panel's choices and the bundle."""
import json
import re

import pytest

from tests.conftest import DATA, bpmn
from web import create_app


@pytest.fixture
def app(owner_engine):
    owner_engine.deploy(bpmn("plan_review.bpmn"))
    return create_app({"TESTING": True}, engine=owner_engine)


def _json(staff, url, payload):
    return staff.client.post(url, json=payload, headers={"X-CSRFToken": staff.csrf(),
                                                         "Accept": "application/json"})


def _check(client, items):
    response = _json(client, "/processes/api/check", {"items": items})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["results"]


def test_timer_meaning_in_chinese_and_english(app, owner):
    weekly = [{"kind": "timeCycle", "text": "R3/2016-04-04T09:00:00+08:00/P1W"},
              {"kind": "timeDuration", "text": "PT1H30M"}]
    zh = _check(owner, weekly)
    assert zh[0]["timer"]["words"] == "每星期一 09:00，共 3 次"
    assert zh[0]["timer"]["due_words"] == ["2016-04-04 09:00", "2016-04-11 09:00", "2016-04-18 09:00"]
    assert zh[1]["timer"]["words"] == "到达该环节 1小时30分钟后"
    owner.post("/locale", data={"locale": "en"})
    en = _check(owner, weekly)
    assert en[0]["timer"]["words"] == "every Monday 09:00, 3 times"
    assert en[1]["timer"]["words"] == "1 hour 30 minutes after the task is reached"


def test_errors_and_bad_requests(app, owner):
    result = _check(owner, [{"kind": "script", "text": "import os"}, {"kind": "expression", "text": "a > 1"}])
    assert not result[0]["ok"] and result[0]["error"] == "脚本不能导入模块。" and result[1]["ok"]
    assert _json(owner, "/processes/api/check", {"items": "nope"}).status_code == 422
    assert _json(owner, "/processes/api/check", []).status_code == 422


def test_instructions_preview_is_clean_html(app, owner):
    response = _json(owner, "/processes/api/instructions-preview",
                     {"text": "## 说明\n<script>alert(1)</script>**请填写**"})
    html = response.get_json()["html"]
    assert "<h2>说明</h2>" in html and "<strong>请填写</strong>" in html and "<script>" not in html


def test_modeler_page_has_the_bundle_and_the_choices(app, owner):
    page = owner.get("/processes/modeler?key=plan_review").get_data(as_text=True)
    assert "build/modeler.bundle.js" in page and "bpmn-modeler.production.min.js" not in page
    config = json.loads(re.search(r'<script id="modeler-config" type="application/json">(.*?)</script>',
                                  page, re.S).group(1))
    assert {"value": "plan_review", "label": "Plan review (plan_review)"} in config["choices"]["processes"]
    assert "province" in {c["value"] for c in config["choices"]["roles"]}
    assert config["urls"]["check"] == "/processes/api/check"


def test_problems_are_worded_in_the_readers_language(app, owner):
    xml = (DATA / "panel_demo.bpmn").read_text("utf-8").replace("score &gt; 5", "score &gt;")
    zh = _json(owner, "/processes/api/validate", {"files": {"panel_demo.bpmn": xml}}).get_json()["problems"]
    messages = {p["rule"]: p["message"] for p in zh}
    assert messages["script-compile"].startswith("条件无法编译：脚本语法错误")
    assert messages["user-task-form"] == "这个用户任务没有表单。"
    assert _check(owner, [{"kind": "script", "text": "import os"}])[0]["error"] == "脚本不能导入模块。"
    owner.post("/locale", data={"locale": "en"})
    en = _json(owner, "/processes/api/validate", {"files": {"panel_demo.bpmn": xml}}).get_json()["problems"]
    assert {p["rule"]: p["message"] for p in en}["user-task-form"] == "This user task has no form."
