"""SpiffArena's script helpers, run in script tasks of models in SpiffArena's layout."""
import base64
from datetime import datetime, timezone

import pytest

from engine import ExecutionError, Forbidden
from engine.commands.attachments import Upload
from engine.runtime import workflow as runtime
from engine.sandbox import spiffarena
from engine.storage import Case

from tests.conftest import DATA

MODELS = DATA / "spiffarena" / "misc"


def deploy(engine, folder):
    path = MODELS / folder
    engine.deploy({p.name: p.read_bytes() for p in path.glob("*.bpmn")})


def final_data(engine, case_id):
    """A completed case's data (its workflow's, which the end event carries)."""
    with engine.db.read() as s:
        case = s.get(Case, case_id)
        assert case.status == "completed"
        workflow = runtime.load(case.state, engine.specs.get(s, case.process_version_id),
                                engine.script_engine)
    return workflow.data


@pytest.fixture
def arena(campaign_orgs):
    engine = campaign_orgs
    engine.settings = engine.settings.with_(environment="staging",
                                            public_url="https://liandong.example.cn/")
    return engine


def test_every_helper_in_a_script_task(arena):
    engine = arena
    deploy(engine, "helpers-tour")
    started = engine.start_case("Process_helpers_tour", "zj_staff")
    # the Process Initiator lane: the task is the starter's, not the province's
    assert [t.case_id for t in engine.tasks("zj_staff")] == [started.case_id]
    assert engine.tasks("zj_staff2") == []
    done = engine.complete_task(started.tasks[0], "zj_staff", {})
    data = engine.case_data(started.case_id, "admin")

    assert data["env"] == "staging"
    assert data["frontend"] == "https://liandong.example.cn"
    assert data["me"]["username"] == "zj_staff" and data["me"]["display_name"] == "王丽（浙江）"
    assert data["me"]["groups"] == ["province"] and data["me"]["service"] == "liandong"
    assert data["my_groups"] == [{"identifier": "province", "name": "province"}]
    assert data["initiator"]["username"] == "zj_staff" and data["initiator"]["id"] is not None
    assert data["info"] == {"process_instance_id": started.case_id,
                            "process_model_identifier": "Process_helpers_tour"}
    assert data["top"] == data["info"]
    assert data["task_info"]["bpmn_identifier"] == "Activity_helpers"
    assert data["task_info"]["bpmn_process_identifier"] == "Process_helpers_tour"
    assert "data" not in data["task_info"]
    assert data["sizes"]["python_env_size"] == 0 and data["sizes"]["task_data_size"] > 0
    assert data["local_text"] == "2016-04-01T09:00:00+08:00"
    assert data["local_default"] == "2016-04-01T09:00:00+08:00"  # naive is UTC; engine's zone
    assert data["ministry_members"] == ["ministry_officer"]
    assert data["kept"] == "fallback"
    assert data["table"] == "| Name | Count |\n| ---- | ---- |\n| a\\|b | 2 |\n"
    # time.time() reads the engine's clock, so a rehearsal's scripts see its time
    assert data["started_epoch"] == datetime(2016, 4, 1, 1, 0, tzinfo=timezone.utc).timestamp()
    assert data["started_text"] == "2016-04-01"
    assert len(data["token"]) == 36
    review = done.tasks[0]
    assert data["review_url"] == f"https://liandong.example.cn/tasks/{review}"

    engine.complete_task(review, "ministry_officer", {})
    data = final_data(engine, started.case_id)
    assert data["reviewer_name"] == "ministry_officer"
    assert data["reviewer"]["groups"] == ["ministry"]
    assert data["closing_user"] == "ministry_officer"


def test_initiator_lane_is_worked_by_the_starter_only(arena):
    engine = arena
    deploy(engine, "initiator-lane")
    mine = engine.start_case("Process_initiator_lane", "zj_staff")
    theirs = engine.start_case("Process_initiator_lane", "js_staff")
    assert [t.case_id for t in engine.tasks("zj_staff")] == [mine.case_id]
    assert [t.case_id for t in engine.tasks("js_staff")] == [theirs.case_id]
    assert engine.may_work(mine.tasks[0], "zj_staff") is None
    refused = engine.may_work(mine.tasks[0], "zj_staff2")  # same province, not the starter
    assert refused is not None and refused.reason == "lane"
    with pytest.raises(Forbidden):
        engine.complete_task(mine.tasks[0], "zj_staff2", {})
    engine.complete_task(mine.tasks[0], "zj_staff", {})
    with engine.db.read() as s:
        assert s.get(Case, mine.case_id).status == "completed"


def test_a_helper_this_engine_lacks_fails_the_case_clearly(arena):
    engine = arena
    deploy(engine, "secret-needed")
    with pytest.raises(ExecutionError) as err:
        engine.start_case("Process_secret_needed", "zj_staff")
    assert "get_secret() is a SpiffArena helper this engine does not offer" in str(err.value)


def test_helpers_outside_a_case_say_so():
    with pytest.raises(spiffarena.HelperError, match="only inside a running case"):
        spiffarena.TASK_HELPERS["get_current_user"](None)
    ctx = spiffarena.ScriptContext(None, "p", "p", "production", "", "Asia/Shanghai", {}, "x")
    with pytest.raises(spiffarena.HelperError, match="unknown time zone"):
        spiffarena.get_localtime(ctx, datetime(2016, 1, 1), "Mars/Olympus")
    with pytest.raises(spiffarena.HelperError, match="include a datetime"):
        spiffarena.get_localtime(ctx)


def test_file_helpers_link_and_encode_a_case_file(arena):
    engine = arena
    deploy(engine, "file-links")
    started = engine.start_case("Process_file_links", "zj_staff")
    content = b"%PDF-1.4\n% programme\n"
    staged = engine.stage_upload("节目单[终].pdf", content)
    engine.complete_task(started.tasks[0], "zj_staff", {}, uploads=[Upload("programme", staged)])
    data = engine.case_data(started.case_id, "admin")
    file_id = int(data["programme"].removeprefix("file:"))
    assert data["programme_link"] == \
        f"[节目单\\[终\\].pdf](https://liandong.example.cn/files/{file_id})"
    assert data["programme_data"] == ("data:application/pdf;name=节目单[终].pdf;base64,"
                                      + base64.b64encode(content).decode())


def test_file_helpers_refuse_what_is_not_a_file_of_the_case():
    class Nothing:
        def file(self, file_id, with_content=False):
            return None
    ctx = spiffarena.ScriptContext(1, "p", "p", "production", "", "UTC", {}, "x", Nothing())
    for name in ("markdown_file_download_link", "get_encoded_file_data"):
        with pytest.raises(spiffarena.HelperError, match="is not a file of this case"):
            spiffarena.HELPERS[name](ctx, "file:7")
        with pytest.raises(spiffarena.HelperError, match="is not a file of this case"):
            spiffarena.HELPERS[name](ctx, "../etc/passwd")
