"""Linked cases: a parent starts children; each child's completion reaches the parent."""
from pathlib import Path

import pytest
from sqlalchemy import select

from engine import ExecutionError
from engine.case.audit import verify_cases
from engine.storage import AuditEvent, Case, CaseLink, CaseMessage

from tests.conftest import DATA as TEST_DATA

DATA = TEST_DATA / "links"


def deploy(engine, name):
    path = DATA / name
    engine.deploy({path.name: path.read_bytes()})


def with_anhui(engine):
    """A third province, Anhui, with its officer `ah_staff`, beside the demo's two."""
    from engine.people import identity
    with engine.db.transaction() as s:
        identity.create_organisation(s, "ah", "安徽省文化厅", parent="ministry", kind="province")
        identity.create_user(s, "ah_staff", "secret-pass", memberships=[("ah", "province")])
    return engine


@pytest.fixture
def linked(campaign_orgs):
    engine = with_anhui(campaign_orgs)
    deploy(engine, "child.bpmn")
    deploy(engine, "parent.bpmn")
    return engine


class Child:
    def __init__(self, case):
        self.id, self.status, self.org_path = case.id, case.status, case.org_path
        self.code, self.business_key, self.title = case.organisation.code, case.business_key, case.title


def _children(engine, parent_id):
    with engine.db.transaction() as s:
        return [Child(c) for c in s.scalars(select(Case).where(Case.parent_case_id == parent_id)
                                            .order_by(Case.id))]


def test_parent_waits_for_three_children(linked):
    engine = linked
    parent = engine.start_case("links_parent", "ministry_officer", {"orgs": ["zj", "js", "ah"]})
    children = _children(engine, parent.case_id)
    assert [(c.code, c.business_key, c.title) for c in children] == [
        ("zj", "zj", "child zj"), ("js", "js", "child js"), ("ah", "ah", "child ah")]
    assert all(c.status == "running" and c.org_path.startswith("/ministry/") for c in children)
    # each child's task is in its own province's inbox, not in the others'
    assert [t.case_id for t in engine.tasks("zj_staff")] == [children[0].id]
    assert [t.case_id for t in engine.tasks("ah_staff")] == [children[2].id]

    for staff, score in [("zj_staff", 90), ("js_staff", 75)]:
        task = engine.tasks(staff)[0]
        engine.complete_task(task.id, staff, {"score": score})
    assert engine.tasks("ministry_officer", case_id=parent.case_id) == []  # still waiting
    task = engine.tasks("ah_staff")[0]
    engine.complete_task(task.id, "ah_staff", {"score": 60})

    review = engine.tasks("ministry_officer", case_id=parent.case_id)
    assert [t.element_id for t in review] == ["Review"]
    with engine.db.transaction() as s:
        case = s.get(Case, parent.case_id)
        assert case.facts["reports"] == 3
        messages = s.scalars(select(CaseMessage).order_by(CaseMessage.id)).all()
        assert [(m.name, m.status) for m in messages] == [("progress", "delivered"),
                                                          ("child_done", "delivered")] * 3
        kinds = s.scalars(select(AuditEvent.kind).where(AuditEvent.case_id == parent.case_id)
                          .order_by(AuditEvent.seq)).all()
        assert kinds.count("child_started") == 3 and kinds.count("message_received") == 6
        links = s.scalars(select(CaseLink).order_by(CaseLink.child_case_id)).all()
        assert [(l.parent_case_id, l.message) for l in links] == [(parent.case_id, "child_done")] * 3
        assert verify_cases(s) == (4, [])
    engine.complete_task(review[0].id, "ministry_officer")
    with engine.db.transaction() as s:
        data = s.get(Case, parent.case_id)
        assert data.status == "completed"
    # the parent's data holds every child's organisation and result
    from engine.storage import AuditEvent as Ev
    with engine.db.transaction() as s:
        started = s.scalars(select(Ev).where(Ev.case_id == children[0].id).order_by(Ev.seq)).first()
        assert started.kind == "case_started" and started.detail["parent_case_id"] == parent.case_id


def test_message_waits_until_the_parent_can_catch_it(linked):
    engine = linked
    parent = engine.start_case("links_parent", "ministry_officer", {"orgs": ["zj"]})
    child = _children(engine, parent.case_id)[0]
    engine.suspend_case(parent.case_id, "admin", "pause")
    engine.complete_task(engine.tasks("zj_staff")[0].id, "zj_staff", {"score": 1})
    with engine.db.transaction() as s:
        assert s.get(Case, child.id).status == "completed"
        assert {m.status for m in s.scalars(select(CaseMessage))} == {"pending"}
    engine.resume_case(parent.case_id, "admin", "go on")
    assert [t.element_id for t in engine.tasks("ministry_officer", case_id=parent.case_id)] == ["Review"]


def test_unknown_child_process_rolls_the_parent_back(campaign_orgs):
    engine = campaign_orgs
    deploy(engine, "parent.bpmn")
    with pytest.raises(Exception) as err:
        engine.start_case("links_parent", "ministry_officer", {"orgs": ["zj"]})
    assert "links_child" in str(err.value)
    with engine.db.transaction() as s:
        assert s.scalars(select(Case)).all() == []


def test_bad_items_are_a_clear_script_error(linked):
    with pytest.raises(ExecutionError, match="no 'org'"):
        linked.start_case("links_parent", "ministry_officer", {"orgs": [""]})


def test_a_child_tried_on_its_own_notes_the_message_it_could_not_send(linked):
    engine = linked
    started = engine.start_case("links_child", "zj_staff", {"org": "zj"}, organisation="zj")
    engine.complete_task(engine.tasks("zj_staff", case_id=started.case_id)[0].id, "zj_staff", {"score": 5})
    with engine.db.transaction() as s:
        assert s.get(Case, started.case_id).status == "completed"
        events = s.scalars(select(AuditEvent).where(AuditEvent.case_id == started.case_id,
                                                    AuditEvent.kind == "message_not_sent")).all()
        assert [e.detail["message"] for e in events] == ["progress"]
        assert s.scalars(select(CaseMessage)).all() == []


def test_children_completing_at_the_same_moment_all_reach_the_parent(linked):
    """Three provinces finish at once: no message is lost or caught twice, and no child
    waits on the parent's lock (delivery runs after each child's own commit)."""
    import threading
    engine = linked
    parent = engine.start_case("links_parent", "ministry_officer", {"orgs": ["zj", "js", "ah"]})
    work = [(engine.tasks(staff)[0].id, staff) for staff in ("zj_staff", "js_staff", "ah_staff")]
    barrier, errors = threading.Barrier(3), []

    def finish(task_id, staff):
        barrier.wait()
        try:
            engine.complete_task(task_id, staff, {"score": 1})
        except Exception as err:  # noqa: BLE001 - collected and asserted below
            errors.append(err)

    threads = [threading.Thread(target=finish, args=item) for item in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    # (no extra delivery pass: each command delivered its own messages)
    assert [t.element_id for t in engine.tasks("ministry_officer", case_id=parent.case_id)] == ["Review"]
    with engine.db.transaction() as s:
        assert s.get(Case, parent.case_id).facts["reports"] == 3
        assert {m.status for m in s.scalars(select(CaseMessage))} == {"delivered"}


def test_a_case_gets_its_messages_in_the_order_sent_while_another_delivers(linked):
    """One deliverer holds a child's report to the parent; a second deliverer must not skip
    ahead to that child's "done" (after the last "done" the parent stops listening)."""
    import threading

    from engine.commands import tasks
    from tests.conftest import hold_after_load
    engine = linked
    if engine.db.dialect != "postgresql":
        pytest.skip("SQLite runs one delivery at a time: no second deliverer to skip ahead")
    parent = engine.start_case("links_parent", "ministry_officer", {"orgs": ["zj", "js", "ah"]})
    for staff in ("zj_staff", "js_staff", "ah_staff"):  # the commands, without their delivery
        tasks.complete_task(engine, staff, engine.tasks(staff)[0].id, {"score": 1})
    holding, release = hold_after_load(engine, "first")
    first = threading.Thread(target=engine.deliver_messages, name="first")
    first.start()
    assert holding.wait(10)
    assert engine.deliver_messages() == 0  # the parent's first message is held: wait for it
    release.set()
    first.join(30)
    with engine.db.transaction() as s:
        assert s.get(Case, parent.case_id).facts["reports"] == 3
        assert {m.status for m in s.scalars(select(CaseMessage))} == {"delivered"}
    assert [t.element_id for t in engine.tasks("ministry_officer", case_id=parent.case_id)] == ["Review"]


def test_whether_messages_wait_comes_back_from_the_open_case(linked):
    """The command learns from its OpenCase, not from a flag on the session, that it sent a
    message; a child started by a parent hands its answer up to the parent's."""
    from uuid import UUID

    from engine.case.opened import open_case
    engine = linked
    parent = engine.start_case("links_parent", "ministry_officer", {"orgs": ["zj"]})
    assert parent.deliver is False  # the child waits on its task: nothing sent yet
    child = _children(engine, parent.case_id)[0]
    task_id = engine.tasks("zj_staff")[0].id
    with engine.db.transaction() as session:
        with open_case(engine, session, child.id, engine.system_actor) as opened:
            assert opened.deliver is False
            task = opened.workflow.get_task_from_id(UUID(task_id))
            task.data["score"] = 1
            task.run()
            opened.advance()
            opened.save()
            opened.record("note")
            assert opened.deliver is True  # 'progress' and 'child_done' went to the outbox
        # nothing but the audit keys and the seal due at commit (engine.storage.ledger)
        assert set(session.info) <= {"audit_keys", "audit_pending", "before_commit"}
    assert engine.deliver_messages() == 2
    assert [t.element_id for t in engine.tasks("ministry_officer", case_id=parent.case_id)] == ["Review"]


def test_helpers_get_the_running_task_passed_in(linked):
    """start_cases() and notify_parent() are handed the task by the sandbox per run; called
    without one (outside a process script) they refuse clearly."""
    assert {"start_cases", "start_case", "notify_parent"} <= set(linked.script_engine.task_helpers)
    assert not set(linked.script_engine.helpers) & set(linked.script_engine.task_helpers)
    from engine.commands import links
    with pytest.raises(ValueError, match="only inside a process script"):
        links.notify_parent(None, "progress")
