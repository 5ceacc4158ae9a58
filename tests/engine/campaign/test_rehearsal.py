"""A reduced rehearsal of a whole campaign, and a 2027 campaign from another calendar."""
import json
import re

from sqlalchemy import func, select

from engine.case.audit import verify_cases
from engine.campaign.rehearsal import Rehearsal
from engine.storage import Case, CaseTask, Timer

from tests.engine.campaign.campaign_support import CALENDAR


def _run(calendar, database_url, provinces, seed=3):
    lines = []
    rehearsal = Rehearsal(calendar, seed=seed, provinces=provinces, database_url=database_url,
                          echo=lines.append)
    return rehearsal, rehearsal.run(), lines


def test_reduced_rehearsal_summary_matches_the_database(database_url):
    rehearsal, _report, lines = _run(CALENDAR, database_url, ["zj", "js", "sh"])
    try:
        numbers = dict(re.findall(r"(\w+)=(\d+)", lines[-1]))
        assert lines[-1].startswith("campaign complete: ")
        with rehearsal.engine.db.read() as s:
            count = lambda key, **kw: s.scalar(select(func.count()).select_from(Case).filter_by(
                process_key=key, **kw))
            assert int(numbers["provinces"]) == count("province", status="completed") == 3
            assert int(numbers["activities"]) == count("activity", status="completed") >= 3
            assert int(numbers["escalations"]) == s.scalar(select(func.count()).select_from(CaseTask).where(
                CaseTask.element_id == "Task_UrgePlan")) >= 1
            assert int(numbers["graded"]) == count("evaluation", status="completed") \
                == 3 + len({c for c in s.scalars(select(Case.organisation_id).where(Case.process_key == "activity"))})
            national = s.scalar(select(Case).where(Case.process_key == "campaign"))
            assert national.status == "completed" and national.facts["graded"] == int(numbers["graded"])
            assert s.scalar(select(func.count()).select_from(Case).where(Case.status != "completed")) == 0
            assert s.scalar(select(func.count()).select_from(CaseTask).where(CaseTask.state == "ready")) == 0
            # the troubles happened: one plan returned, one budget approved, one material missing
            assert count("activity") == len(s.scalars(select(Case).where(Case.process_key == "activity")).all())
            facts = [c.facts for c in s.scalars(select(Case).where(Case.process_key == "activity"))]
            assert sum(f["over_budget"] for f in facts) == 1
            assert sum(f["material_late"] for f in facts) == 1
            assert sum(c.facts["plan_returned"] for c in s.scalars(
                select(Case).where(Case.process_key == "province"))) == 1
            assert s.scalar(select(func.count()).select_from(Timer).where(Timer.status == "fired")) >= 5
            checked, breaks = verify_cases(s)
            assert breaks == [] and checked == s.scalar(select(func.count()).select_from(Case))
        stages = [line for line in lines if line.startswith("[")]
        assert len(stages) == 4
    finally:
        rehearsal.close()


def test_a_2027_campaign_runs_from_its_own_calendar(database_url, tmp_path):
    calendar = json.loads(CALENDAR.read_text("utf-8"))
    calendar.update(campaign="liandong-2027", title="2027年区域文化联动活动", provinces=["js", "gd"],
                    budget_limit=80000, plan_reminder_days_before=3,
                    themes=[{"code": "smart_libraries", "zh": "智慧图书馆", "en": "Smart libraries"}],
                    activity_forms=[{"code": "festival", "zh": "文化节", "en": "Festival"}],
                    dates={"deployment": "2027-03-01T09:00:00+08:00",
                           "plan_deadline": "2027-03-15T17:00:00+08:00",
                           "implementation_start": "2027-04-01T09:00:00+08:00",
                           "implementation_end": "2027-08-31T18:00:00+08:00",
                           "summary_deadline": "2027-09-10T18:00:00+08:00",
                           "evaluation": "2027-09-20T09:00:00+08:00"})
    path = tmp_path / "calendar-2027.json"
    path.write_text(json.dumps(calendar, ensure_ascii=False), "utf-8")
    rehearsal, report, lines = _run(path, database_url, None, seed=5)
    try:
        assert report.provinces == 2 and lines[-1] == report.line
        with rehearsal.engine.db.read() as s:
            provinces = s.scalars(select(Case).where(Case.process_key == "province")).all()
            assert sorted(c.organisation.code for c in provinces) == ["gd", "js"]
            assert {c.facts["plan_deadline"] for c in provinces} == {"2027-03-15T17:00:00+08:00"}
            activities = s.scalars(select(Case).where(Case.process_key == "activity")).all()
            assert {c.facts["theme"] for c in activities} == {"smart_libraries"}
            assert {c.facts["form"] for c in activities} == {"festival"}
            assert all(c.facts["start_date"].startswith("2027-") for c in activities)
            national = s.scalar(select(Case).where(Case.process_key == "campaign"))
            assert national.business_key == "liandong-2027" and national.status == "completed"
            assert national.ended_at.year == 2027
    finally:
        rehearsal.close()


def test_rehearse_command_prints_progress_and_the_summary_line(tmp_path):
    from click.testing import CliRunner

    from web.commands import main
    result = CliRunner().invoke(main, ["rehearse", "--provinces", "2", "--seed", "1"],
                                env={"LIANDONG_INSTANCE_PATH": str(tmp_path)})
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert "[1] 工作部署 Deployment" in lines and "[4] 评估总结 Evaluation" in lines
    assert re.fullmatch(r"campaign complete: provinces=2 activities=\d+ escalations=\d+ graded=\d+", lines[-1])
    bad = tmp_path / "bad.json"
    bad.write_text("{}", "utf-8")
    result = CliRunner().invoke(main, ["rehearse", "--campaign", str(bad)])
    assert result.exit_code == 1 and "problem(s)" in result.output and "Traceback" not in result.output
