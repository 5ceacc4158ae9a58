"""Backup and restore round trips on SQLite and PostgreSQL: every case, task, timer, audit
event and uploaded file comes back, the audit chains verify, and a restore refuses a
database that is not empty."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from engine import Conflict, Engine, InvalidData
from engine.case.audit import verify_cases
from engine.commands.attachments import attach, store_for
from engine.storage import AuditEvent, Case, CaseTask, Timer
from engine.storage.schema import upgrade
from engine.bench.timer_bench import MODEL as WAIT_MODEL
from tests.conftest import bpmn

PDF = b"%PDF-1.4\n% a programme sheet\n" + bytes(range(256))


def _history(engine):
    """Cases in every state: one finished, one at its second step with a file, one on a timer."""
    engine.deploy({"bench_timer.bpmn": WAIT_MODEL})
    started = engine.start_case("plan_review", "zj_staff")
    done = engine.complete_task(started.tasks[0], "zj_staff", {"title": "原方案", "budget": 9})
    engine.complete_task(done.tasks[0], "ministry_officer", {"ok": True})
    second = engine.start_case("plan_review", "zj_staff")
    attached = attach(engine, engine.actor("zj_staff"), second.case_id, "方案.pdf", PDF)
    due = engine.now() + timedelta(days=3)
    engine.start_case("bench_timer", data={"due": due.isoformat()})
    return attached, second.tasks[0]


def _snapshot(engine):
    with engine.db.read() as s:
        return {
            "cases": s.execute(select(Case.id, Case.status, Case.audit_head).order_by(Case.id)).all(),
            "tasks": s.execute(select(CaseTask.id, CaseTask.state).order_by(CaseTask.id)).all(),
            "timers": s.execute(select(Timer.id, Timer.case_id, Timer.due_at, Timer.status)
                                .order_by(Timer.id)).all(),
            "events": s.scalar(select(func.count()).select_from(AuditEvent)),
        }


def test_backup_and_restore_bring_back_every_case_task_timer_and_file(
        campaign_orgs, second_database, clock, tmp_path):
    engine = campaign_orgs
    engine.deploy(bpmn("plan_review.bpmn"))
    attached, open_task = _history(engine)
    before = _snapshot(engine)
    archive = tmp_path / "backups" / "liandong.backup"

    made = engine.backup(archive)
    assert archive.is_file() and made.uploads == 1
    assert made.counts["cases"] == 3 and made.counts["files"] == 1

    restored = Engine(second_database, clock)
    try:
        back = restored.restore(archive)
        assert back.revision == made.revision and back.counts == made.counts
        assert _snapshot(restored) == before
        with restored.db.read() as s:
            checked, breaks = verify_cases(s)
        assert checked == 3 and breaks == []
        assert store_for(restored).path(attached.sha256).read_bytes() == PDF
        upgrade(restored.db)  # the restored database is at the code's schema already
        # it runs: the restored timer fires when due, the open task can be completed
        clock.advance(timedelta(days=4))
        assert restored.fire_due_timers().fired == 1
        assert restored.complete_task(open_task, "zj_staff",
                                      {"title": "新方案", "budget": 5}).case_id
    finally:
        restored.close()


def test_restore_refuses_a_database_that_is_not_empty(campaign_orgs, tmp_path):
    engine = campaign_orgs
    archive = tmp_path / "b.backup"
    engine.backup(archive)
    with pytest.raises(Conflict, match="not empty"):
        engine.restore(archive)
    assert _snapshot(engine)["cases"] == []  # and nothing was touched


def test_restore_refuses_a_file_that_is_not_a_backup(engine, tmp_path):
    bogus = tmp_path / "not-a-backup"
    bogus.write_bytes(b"hello")
    with pytest.raises(Exception, match="not a Liandong backup"):
        engine.restore(bogus)
    with pytest.raises(InvalidData, match="no backup file"):
        engine.restore(tmp_path / "missing")


def test_sqlite_backup_is_consistent_while_commands_run(campaign_orgs, tmp_path, second_database):
    """The online backup API copies a snapshot: started cases either are whole or absent."""
    import threading
    engine = campaign_orgs
    if not engine.db.is_sqlite:
        pytest.skip("SQLite's online backup API")
    engine.deploy(bpmn("plan_review.bpmn"))
    stop = threading.Event()

    def busy():
        while not stop.is_set():
            engine.start_case("plan_review", "zj_staff")

    worker = threading.Thread(target=busy)
    worker.start()
    try:
        archive = tmp_path / "online.backup"
        engine.backup(archive)
    finally:
        stop.set()
        worker.join(30)
    restored = Engine(second_database)
    try:
        restored.restore(archive)
        with restored.db.read() as s:
            _checked, breaks = verify_cases(s)
            cases = s.scalar(select(func.count()).select_from(Case))
            open_tasks = s.scalar(select(func.count()).select_from(CaseTask))
        assert breaks == [] and cases == open_tasks  # each started case has its first task
    finally:
        restored.close()
