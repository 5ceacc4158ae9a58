"""The `liandong` command end to end: errors are one clear line, never a traceback."""
import json

import pytest
from click.testing import CliRunner

from tests.conftest import DATA, ROOT
from web.commands import main

MIWG = ROOT.parent / "shared" / "peers" / "miwg"


def test_a_case_through_the_command_line(cli):
    cli("init-db")
    cli("create-org", "ministry", "--name", "文化部")
    cli("create-org", "zj", "--parent", "ministry")
    assert "password" in cli("create-user", "alice", "--org", "zj", "--role", "province")
    cli("create-user", "boss", "--org", "ministry", "--role", "ministry", "--password", "pw-123456")
    assert "deployed plan_review v1" in cli("deploy", DATA / "plan_review.bpmn")
    assert "unchanged plan_review v1" in cli("deploy", DATA / "plan_review.bpmn")
    case_id = cli("start", "plan_review", "--user", "alice", "--data", '{"province": "zj"}').strip()
    assert case_id == "1"
    [line] = cli("tasks", "--user", "alice").splitlines()
    task_id = line.split("\t")[0]
    assert "lane=province" in line
    out = cli("complete", task_id, "--user", "alice", "--data", '{"title": "x"}', code=1)
    assert "budget: is required" in out
    out = cli("complete", task_id, "--user", "alice", "--data", json.dumps({"title": "ab", "budget": 3}))
    assert out.startswith("case 1 running")
    assert len(cli("tasks", "--user", "boss").splitlines()) == 2


def test_bad_input_is_one_clear_line(cli):
    cli("init-db")
    assert "No organisation with code 'nowhere'" in cli("create-org", "x", "--parent", "nowhere", code=1)
    assert "No process 'nope' is deployed" in cli("start", "nope", code=1)
    assert "not valid JSON" in cli("start", "nope", "--data", "{oops", code=2)
    assert "No active user named 'ghost'" in cli("tasks", "--user", "ghost", code=1)
    assert "no such file" in cli("deploy", "/nonexistent.bpmn", code=1)


def test_validate_gives_each_file_a_verdict(cli, tmp_path):
    broken = tmp_path / "broken.bpmn"
    broken.write_text("<bpmn:definitions xmlns:bpmn='http://www.omg.org/spec/BPMN/20100524/MODEL'>")
    assert cli("validate", DATA / "plan_review.bpmn").startswith("ok ")
    out = cli("validate", broken, DATA / "plan_review.bpmn", code=1)
    assert "INVALID" in out and "broken.bpmn:1" in out


@pytest.mark.skipif(not MIWG.is_dir(), reason="the MIWG reference diagrams are not beside the repository")
def test_validate_gives_every_miwg_diagram_a_verdict(cli):
    files = sorted(MIWG.glob("*.bpmn"))
    runner = CliRunner()
    result = runner.invoke(main, ["validate", *map(str, files)], catch_exceptions=False)
    assert result.exit_code in (0, 1) and "Traceback" not in result.output
    verdicts = [line for line in result.output.splitlines() if line.startswith(("ok ", "INVALID "))]
    assert len(verdicts) == len(files)


def test_validate_warns_of_a_name_nothing_sets_and_still_passes(cli, tmp_path):
    """Issue 13: `evaluation` read `activities_held` that only its parent passes."""
    xml = (DATA / "script_task.bpmn").read_text("utf-8")
    model = tmp_path / "reads.bpmn"
    model.write_text(xml.replace("</bpmn:script>", "\nmissing_total = never_set + 1</bpmn:script>", 1), "utf-8")
    out = cli("validate", model)
    assert out.startswith("ok ") and "warning undefined-name" in out
    assert "reads 'never_set', which nothing before it sets" in out
